-- AlterTable
ALTER TABLE "Integration" ADD COLUMN     "scheduleSlot" SERIAL NOT NULL;
