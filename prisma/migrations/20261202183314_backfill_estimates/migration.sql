-- CreateTable
CREATE TABLE "BackfillEstimate" (
    "integrationId" UUID NOT NULL,
    "connectedAt" TIMESTAMPTZ(3) NOT NULL,
    "startedAt" TIMESTAMPTZ(3),
    "computedAt" TIMESTAMPTZ(3),
    "result" JSONB,
    "errorCode" TEXT,

    CONSTRAINT "BackfillEstimate_pkey" PRIMARY KEY ("integrationId")
);

-- AddForeignKey
ALTER TABLE "BackfillEstimate" ADD CONSTRAINT "BackfillEstimate_integrationId_fkey" FOREIGN KEY ("integrationId") REFERENCES "Integration"("id") ON DELETE CASCADE ON UPDATE CASCADE;
