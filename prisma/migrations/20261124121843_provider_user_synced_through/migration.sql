-- AlterTable
ALTER TABLE "ProviderUser" ADD COLUMN     "syncedThrough" TIMESTAMPTZ(3);
