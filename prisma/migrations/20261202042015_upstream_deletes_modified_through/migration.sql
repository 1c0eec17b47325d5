-- AlterTable
ALTER TABLE "Call" ADD COLUMN     "deletedUpstreamAt" TIMESTAMPTZ(3),
ADD COLUMN     "listedAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "ProviderUser" ADD COLUMN     "modifiedThrough" TIMESTAMPTZ(3);
