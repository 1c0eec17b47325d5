-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMIN', 'MEMBER');

-- CreateEnum
CREATE TYPE "CrmProvider" AS ENUM ('SALESFORCE', 'HUBSPOT');

-- CreateEnum
CREATE TYPE "CrmSystem" AS ENUM ('SALESFORCE', 'HUBSPOT', 'OTHER');

-- CreateEnum
CREATE TYPE "CallProvider" AS ENUM ('GONG', 'SALESLOFT', 'CLARI_COPILOT');

-- CreateEnum
CREATE TYPE "WizardStep" AS ENUM ('CONNECT', 'AUTHORIZE', 'BACKFILL', 'SYNC', 'COMPLETE');

-- CreateEnum
CREATE TYPE "IntegrationStatus" AS ENUM ('PENDING_AUTHORIZATION', 'CONNECTED', 'RECONNECT_NEEDED', 'DISCONNECTED');

-- CreateEnum
CREATE TYPE "BackfillPeriod" AS ENUM ('DAYS_30', 'DAYS_60', 'DAYS_90', 'MONTHS_6', 'YEAR_1', 'ALL_TIME', 'NONE');

-- CreateEnum
CREATE TYPE "SyncKind" AS ENUM ('BACKFILL', 'SCHEDULED', 'MANUAL', 'RETRY');

-- CreateEnum
CREATE TYPE "SyncRunStatus" AS ENUM ('RUNNING', 'COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "SyncUserState" AS ENUM ('PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'SKIPPED');

-- CreateEnum
CREATE TYPE "CallDirection" AS ENUM ('INBOUND', 'OUTBOUND', 'CONFERENCE', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "CallReadiness" AS ENUM ('READY', 'TRANSCRIPT_PENDING', 'PROCESSING', 'FAILED', 'TRANSCRIPT_GAVE_UP');

-- CreateEnum
CREATE TYPE "DealLinkStatus" AS ENUM ('LINKED', 'NO_CRM_CONNECTION', 'NO_CRM_ID', 'NO_MATCHING_DEAL');

-- CreateEnum
CREATE TYPE "PurgeScope" AS ENUM ('INTEGRATION', 'PERSON');

-- CreateTable
CREATE TABLE "Workspace" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Workspace_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'MEMBER',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CrmConnection" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "provider" "CrmProvider" NOT NULL,
    "externalOrgId" TEXT,
    "connectedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "connectedById" UUID,

    CONSTRAINT "CrmConnection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Account" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "crmProvider" "CrmProvider" NOT NULL,
    "crmId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "domain" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deal" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "crmProvider" "CrmProvider" NOT NULL,
    "crmId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "stage" TEXT,
    "amount" DECIMAL(18,2),
    "currency" TEXT,
    "closeDate" DATE,
    "ownerEmail" TEXT,
    "ownerName" TEXT,
    "accountId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Deal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Integration" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "provider" "CallProvider" NOT NULL,
    "status" "IntegrationStatus" NOT NULL DEFAULT 'PENDING_AUTHORIZATION',
    "wizardStep" "WizardStep" NOT NULL DEFAULT 'CONNECT',
    "connectedAccountId" TEXT,
    "connectedAccountName" TEXT,
    "connectedAt" TIMESTAMPTZ(3),
    "connectedById" UUID,
    "disconnectedAt" TIMESTAMPTZ(3),
    "backfillPeriod" "BackfillPeriod",
    "backfillFrom" TIMESTAMPTZ(3),
    "credentials" BYTEA,
    "credentialsKeyId" TEXT,
    "credentialsVersion" INTEGER NOT NULL DEFAULT 0,
    "tokenExpiresAt" TIMESTAMPTZ(3),
    "syncIntervalMinutes" INTEGER NOT NULL DEFAULT 120,
    "lastSyncAt" TIMESTAMPTZ(3),
    "lastSyncStatus" "SyncRunStatus",
    "lastSyncError" TEXT,
    "nextSyncAt" TIMESTAMPTZ(3),
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Integration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OAuthState" (
    "id" UUID NOT NULL,
    "stateHash" TEXT NOT NULL,
    "integrationId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OAuthState_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProviderUser" (
    "id" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "providerUserId" TEXT NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "workspaceUserId" UUID,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ProviderUser_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncRun" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "kind" "SyncKind" NOT NULL,
    "status" "SyncRunStatus" NOT NULL DEFAULT 'RUNNING',
    "activeSlot" BOOLEAN DEFAULT true,
    "windowFrom" TIMESTAMPTZ(3),
    "windowTo" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),
    "triggeredById" UUID,
    "error" TEXT,

    CONSTRAINT "SyncRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncUserStatus" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "providerUserRef" UUID NOT NULL,
    "state" "SyncUserState" NOT NULL DEFAULT 'PENDING',
    "skipReason" TEXT,
    "callsImported" INTEGER NOT NULL DEFAULT 0,
    "callsUpdated" INTEGER NOT NULL DEFAULT 0,
    "callsUnchanged" INTEGER NOT NULL DEFAULT 0,
    "callsTotal" INTEGER,
    "pagesDone" INTEGER NOT NULL DEFAULT 0,
    "checkpoint" JSONB,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "retryable" BOOLEAN,
    "waitingUntil" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SyncUserStatus_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Call" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "integrationId" UUID NOT NULL,
    "provider" "CallProvider" NOT NULL,
    "providerCallId" TEXT NOT NULL,
    "title" TEXT,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3),
    "durationMs" INTEGER,
    "direction" "CallDirection" NOT NULL DEFAULT 'UNKNOWN',
    "ownerProviderUserId" TEXT,
    "ownerUserId" UUID,
    "providerUrl" TEXT,
    "readiness" "CallReadiness" NOT NULL DEFAULT 'READY',
    "transcriptDeadline" TIMESTAMPTZ(3),
    "transcriptCheckedAt" TIMESTAMPTZ(3),
    "providerUpdatedAt" TIMESTAMPTZ(3),
    "contentHash" TEXT NOT NULL,
    "dealId" UUID,
    "dealLinkStatus" "DealLinkStatus" NOT NULL,
    "linkedAt" TIMESTAMPTZ(3),
    "purgedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Call_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CallParticipant" (
    "id" UUID NOT NULL,
    "callId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT,
    "email" TEXT,
    "isInternal" BOOLEAN NOT NULL,
    "speakerId" TEXT,
    "providerUserId" TEXT,
    "userId" UUID,

    CONSTRAINT "CallParticipant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TranscriptSegment" (
    "id" UUID NOT NULL,
    "callId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "participantId" UUID,
    "speakerId" TEXT,
    "startMs" INTEGER NOT NULL,
    "endMs" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "tsv" tsvector,

    CONSTRAINT "TranscriptSegment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CallSummary" (
    "callId" UUID NOT NULL,
    "brief" TEXT,
    "keyPoints" TEXT[],

    CONSTRAINT "CallSummary_pkey" PRIMARY KEY ("callId")
);

-- CreateTable
CREATE TABLE "ActionItem" (
    "id" UUID NOT NULL,
    "callId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "ownerName" TEXT,
    "ownerParticipantId" UUID,

    CONSTRAINT "ActionItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CallCrmRef" (
    "id" UUID NOT NULL,
    "callId" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "system" "CrmSystem" NOT NULL,
    "objectType" TEXT NOT NULL,
    "objectId" TEXT NOT NULL,

    CONSTRAINT "CallCrmRef_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PurgeAudit" (
    "id" UUID NOT NULL,
    "workspaceId" UUID NOT NULL,
    "actorId" UUID,
    "scope" "PurgeScope" NOT NULL,
    "integrationId" UUID,
    "emailSha256" TEXT,
    "callsAffected" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PurgeAudit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "User_email_idx" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "User_workspaceId_email_key" ON "User"("workspaceId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "CrmConnection_workspaceId_key" ON "CrmConnection"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "Account_workspaceId_crmProvider_crmId_key" ON "Account"("workspaceId", "crmProvider", "crmId");

-- CreateIndex
CREATE INDEX "Deal_workspaceId_updatedAt_idx" ON "Deal"("workspaceId", "updatedAt" DESC);

-- CreateIndex
CREATE INDEX "Deal_workspaceId_stage_idx" ON "Deal"("workspaceId", "stage");

-- CreateIndex
CREATE UNIQUE INDEX "Deal_workspaceId_crmProvider_crmId_key" ON "Deal"("workspaceId", "crmProvider", "crmId");

-- CreateIndex
CREATE UNIQUE INDEX "Integration_workspaceId_provider_key" ON "Integration"("workspaceId", "provider");

-- CreateIndex
CREATE UNIQUE INDEX "OAuthState_stateHash_key" ON "OAuthState"("stateHash");

-- CreateIndex
CREATE UNIQUE INDEX "ProviderUser_integrationId_providerUserId_key" ON "ProviderUser"("integrationId", "providerUserId");

-- CreateIndex
CREATE INDEX "SyncRun_integrationId_startedAt_idx" ON "SyncRun"("integrationId", "startedAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "SyncRun_integrationId_activeSlot_key" ON "SyncRun"("integrationId", "activeSlot");

-- CreateIndex
CREATE UNIQUE INDEX "SyncUserStatus_runId_providerUserRef_key" ON "SyncUserStatus"("runId", "providerUserRef");

-- CreateIndex
CREATE INDEX "Call_dealId_startedAt_idx" ON "Call"("dealId", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "Call_workspaceId_startedAt_idx" ON "Call"("workspaceId", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "Call_workspaceId_dealLinkStatus_idx" ON "Call"("workspaceId", "dealLinkStatus");

-- CreateIndex
CREATE INDEX "Call_integrationId_readiness_idx" ON "Call"("integrationId", "readiness");

-- CreateIndex
CREATE UNIQUE INDEX "Call_integrationId_providerCallId_key" ON "Call"("integrationId", "providerCallId");

-- CreateIndex
CREATE INDEX "CallParticipant_email_idx" ON "CallParticipant"("email");

-- CreateIndex
CREATE UNIQUE INDEX "CallParticipant_callId_position_key" ON "CallParticipant"("callId", "position");

-- CreateIndex
CREATE INDEX "TranscriptSegment_tsv_idx" ON "TranscriptSegment" USING GIN ("tsv");

-- CreateIndex
CREATE UNIQUE INDEX "TranscriptSegment_callId_position_key" ON "TranscriptSegment"("callId", "position");

-- CreateIndex
CREATE UNIQUE INDEX "ActionItem_callId_position_key" ON "ActionItem"("callId", "position");

-- CreateIndex
CREATE INDEX "CallCrmRef_workspaceId_system_objectId_idx" ON "CallCrmRef"("workspaceId", "system", "objectId");

-- CreateIndex
CREATE UNIQUE INDEX "CallCrmRef_callId_system_objectType_objectId_key" ON "CallCrmRef"("callId", "system", "objectType", "objectId");

-- CreateIndex
CREATE INDEX "PurgeAudit_workspaceId_createdAt_idx" ON "PurgeAudit"("workspaceId", "createdAt" DESC);

-- AddForeignKey
ALTER TABLE "User" ADD CONSTRAINT "User_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CrmConnection" ADD CONSTRAINT "CrmConnection_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CrmConnection" ADD CONSTRAINT "CrmConnection_connectedById_fkey" FOREIGN KEY ("connectedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Account" ADD CONSTRAINT "Account_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deal" ADD CONSTRAINT "Deal_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Integration" ADD CONSTRAINT "Integration_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Integration" ADD CONSTRAINT "Integration_connectedById_fkey" FOREIGN KEY ("connectedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OAuthState" ADD CONSTRAINT "OAuthState_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProviderUser" ADD CONSTRAINT "ProviderUser_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncRun" ADD CONSTRAINT "SyncRun_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncUserStatus" ADD CONSTRAINT "SyncUserStatus_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SyncRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SyncUserStatus" ADD CONSTRAINT "SyncUserStatus_providerUserRef_fkey" FOREIGN KEY ("providerUserRef") REFERENCES "ProviderUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Call" ADD CONSTRAINT "Call_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Call" ADD CONSTRAINT "Call_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Call" ADD CONSTRAINT "Call_ownerUserId_fkey" FOREIGN KEY ("ownerUserId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Call" ADD CONSTRAINT "Call_dealId_fkey" FOREIGN KEY ("dealId") REFERENCES "Deal"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CallParticipant" ADD CONSTRAINT "CallParticipant_callId_fkey" FOREIGN KEY ("callId") REFERENCES "Call"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CallParticipant" ADD CONSTRAINT "CallParticipant_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TranscriptSegment" ADD CONSTRAINT "TranscriptSegment_callId_fkey" FOREIGN KEY ("callId") REFERENCES "Call"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TranscriptSegment" ADD CONSTRAINT "TranscriptSegment_participantId_fkey" FOREIGN KEY ("participantId") REFERENCES "CallParticipant"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CallSummary" ADD CONSTRAINT "CallSummary_callId_fkey" FOREIGN KEY ("callId") REFERENCES "Call"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActionItem" ADD CONSTRAINT "ActionItem_callId_fkey" FOREIGN KEY ("callId") REFERENCES "Call"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActionItem" ADD CONSTRAINT "ActionItem_ownerParticipantId_fkey" FOREIGN KEY ("ownerParticipantId") REFERENCES "CallParticipant"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CallCrmRef" ADD CONSTRAINT "CallCrmRef_callId_fkey" FOREIGN KEY ("callId") REFERENCES "Call"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PurgeAudit" ADD CONSTRAINT "PurgeAudit_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PurgeAudit" ADD CONSTRAINT "PurgeAudit_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- 001_transcript_tsv_trigger.sql (prisma/sql: not expressible in schema.prisma)
-- TranscriptSegment.tsv is Unsupported("tsvector") in schema.prisma: kept in sync with "text" by a trigger.
CREATE FUNCTION "TranscriptSegment_tsv_update"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW."tsv" := to_tsvector('english', coalesce(NEW."text", ''));
  RETURN NEW;
END
$$;

CREATE TRIGGER "TranscriptSegment_tsv"
BEFORE INSERT OR UPDATE OF "text" ON "TranscriptSegment"
FOR EACH ROW EXECUTE FUNCTION "TranscriptSegment_tsv_update"();

-- 002_lowercase_email_checks.sql (prisma/sql: not expressible in schema.prisma)
-- Emails are stored lower-case so that uniqueness and matching are case-insensitive.
ALTER TABLE "User" ADD CONSTRAINT "User_email_lowercase" CHECK ("email" = lower("email"));
ALTER TABLE "CallParticipant" ADD CONSTRAINT "CallParticipant_email_lowercase" CHECK ("email" = lower("email"));
