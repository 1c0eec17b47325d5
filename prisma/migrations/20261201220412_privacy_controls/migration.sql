-- CreateEnum
CREATE TYPE "PrivateCallPolicy" AS ENUM ('SKIP', 'PARTICIPANTS_AND_ADMINS');

-- CreateEnum
CREATE TYPE "ExclusionRuleKind" AS ENUM ('PARTICIPANT_DOMAIN', 'TITLE_KEYWORD', 'OWNER_EMAIL');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "PurgeScope" ADD VALUE 'EXCLUSION_RULE';
ALTER TYPE "PurgeScope" ADD VALUE 'PRIVATE_CALLS';
ALTER TYPE "PurgeScope" ADD VALUE 'RETENTION';

-- AlterTable
ALTER TABLE "Call" ADD COLUMN     "hiddenAt" TIMESTAMPTZ(3),
ADD COLUMN     "hiddenReason" TEXT,
ADD COLUMN     "isPrivate" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "purgeReason" TEXT;

-- AlterTable
ALTER TABLE "Integration" ADD COLUMN     "privateCalls" "PrivateCallPolicy" NOT NULL DEFAULT 'SKIP';

-- AlterTable
ALTER TABLE "PurgeAudit" ADD COLUMN     "reason" TEXT;

-- AlterTable
ALTER TABLE "Workspace" ADD COLUMN     "retentionDays" INTEGER;

-- CreateTable
CREATE TABLE "ExclusionRule" (
    "id" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "kind" "ExclusionRuleKind" NOT NULL,
    "value" TEXT NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExclusionRule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ExclusionRule_integrationId_kind_value_key" ON "ExclusionRule"("integrationId", "kind", "value");

-- AddForeignKey
ALTER TABLE "ExclusionRule" ADD CONSTRAINT "ExclusionRule_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;
