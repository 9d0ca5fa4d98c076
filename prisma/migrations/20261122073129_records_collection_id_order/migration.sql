-- CreateIndex
CREATE INDEX "records_collection_id_id_idx" ON "records"("collection_id", "id");
