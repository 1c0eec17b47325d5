-- AlterTable
ALTER TABLE "PurgeAudit" ADD COLUMN     "emailHmac" TEXT;

-- CreateIndex
CREATE INDEX "PurgeAudit_workspaceId_emailHmac_idx" ON "PurgeAudit"("workspaceId", "emailHmac");
