-- CreateTable
CREATE TABLE "storage_instances" (
    "id" UUID NOT NULL,
    "local_dir" VARCHAR(1000) NOT NULL,
    "host" VARCHAR(255) NOT NULL,
    "seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "storage_instances_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "storage_instances_seen_at_idx" ON "storage_instances"("seen_at");
