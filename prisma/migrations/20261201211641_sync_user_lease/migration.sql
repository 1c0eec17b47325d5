-- AlterTable
ALTER TABLE "SyncUserStatus" ADD COLUMN     "leaseOwner" TEXT,
ADD COLUMN     "leaseUntil" TIMESTAMPTZ(3);
