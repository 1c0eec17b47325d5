-- CreateEnum
CREATE TYPE "CallLinkReason" AS ENUM ('CRM_ID', 'VIA_DEAL');

-- CreateEnum
CREATE TYPE "SkippedRecordKind" AS ENUM ('CALL', 'USER');

-- AlterEnum
ALTER TYPE "DealLinkStatus" ADD VALUE 'ACCOUNT_ONLY';

-- AlterTable
ALTER TABLE "SyncUserStatus" ADD COLUMN     "callsSkipped" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "SkippedRecord" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "userStatusId" UUID,
    "kind" "SkippedRecordKind" NOT NULL,
    "providerRecordId" TEXT NOT NULL,
    "reasonCode" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SkippedRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CallDealLink" (
    "callId" UUID NOT NULL,
    "dealId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "reason" "CallLinkReason" NOT NULL DEFAULT 'CRM_ID',
    "objectType" TEXT NOT NULL,
    "linkedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "callStartedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CallDealLink_pkey" PRIMARY KEY ("callId","dealId")
);

-- CreateTable
CREATE TABLE "CallAccountLink" (
    "callId" UUID NOT NULL,
    "accountId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "reason" "CallLinkReason" NOT NULL,
    "linkedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "callStartedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CallAccountLink_pkey" PRIMARY KEY ("callId","accountId")
);

-- CreateIndex
CREATE INDEX "SkippedRecord_userStatusId_idx" ON "SkippedRecord"("userStatusId");

-- CreateIndex
CREATE INDEX "SkippedRecord_integrationId_createdAt_idx" ON "SkippedRecord"("integrationId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "SkippedRecord_runId_kind_providerRecordId_key" ON "SkippedRecord"("runId", "kind", "providerRecordId");

-- CreateIndex
CREATE INDEX "CallDealLink_dealId_callStartedAt_callId_idx" ON "CallDealLink"("dealId", "callStartedAt" DESC, "callId" DESC);

-- CreateIndex
CREATE INDEX "CallDealLink_workspaceId_idx" ON "CallDealLink"("workspaceId");

-- CreateIndex
CREATE INDEX "CallAccountLink_accountId_callStartedAt_callId_idx" ON "CallAccountLink"("accountId", "callStartedAt" DESC, "callId" DESC);

-- CreateIndex
CREATE INDEX "CallAccountLink_workspaceId_idx" ON "CallAccountLink"("workspaceId");

-- AddForeignKey
ALTER TABLE "SkippedRecord" ADD CONSTRAINT "SkippedRecord_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SyncRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SkippedRecord" ADD CONSTRAINT "SkippedRecord_userStatusId_fkey" FOREIGN KEY ("userStatusId") REFERENCES "SyncUserStatus"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CallDealLink" ADD CONSTRAINT "CallDealLink_callId_fkey" FOREIGN KEY ("callId") REFERENCES "Call"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CallDealLink" ADD CONSTRAINT "CallDealLink_dealId_fkey" FOREIGN KEY ("dealId") REFERENCES "Deal"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CallAccountLink" ADD CONSTRAINT "CallAccountLink_callId_fkey" FOREIGN KEY ("callId") REFERENCES "Call"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CallAccountLink" ADD CONSTRAINT "CallAccountLink_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
