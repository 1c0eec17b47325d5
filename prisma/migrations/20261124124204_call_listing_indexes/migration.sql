-- DropIndex
DROP INDEX "Call_dealId_startedAt_idx";

-- DropIndex
DROP INDEX "Call_workspaceId_startedAt_idx";

-- CreateIndex
CREATE INDEX "Call_dealId_startedAt_id_idx" ON "Call"("dealId", "startedAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Call_workspaceId_startedAt_id_idx" ON "Call"("workspaceId", "startedAt" DESC, "id" DESC);
