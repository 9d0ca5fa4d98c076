-- CreateTable
CREATE TABLE "stored_files" (
    "key" VARCHAR(400) NOT NULL,
    "collection_id" UUID NOT NULL,
    "record_id" UUID NOT NULL,
    "field" VARCHAR(63) NOT NULL,
    "name" VARCHAR(120) NOT NULL,
    "size" BIGINT NOT NULL,
    "type" VARCHAR(255) NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "owner_id" UUID,
    "state" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stored_files_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "stored_files_collection_id_record_id_idx" ON "stored_files"("collection_id", "record_id");

-- CreateIndex
CREATE INDEX "stored_files_owner_id_idx" ON "stored_files"("owner_id");

-- CreateIndex
CREATE INDEX "stored_files_state_updated_at_idx" ON "stored_files"("state", "updated_at");
