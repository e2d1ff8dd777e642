-- 44: dedup per tenant (the seed's UNIQUE (checksum) was global), plus the indexes tenant-scoped lookups and job claiming use.

-- Two tenants may hold the same file; one tenant holds it once. Add the per-tenant key before dropping the global one
-- so checksums stay unique per tenant at every point of the transaction.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_constraint
        WHERE conrelid = 'public.documents'::regclass AND conname = 'documents_tenant_checksum_key'
    ) THEN
        ALTER TABLE public.documents
            ADD CONSTRAINT documents_tenant_checksum_key UNIQUE (tenant_id, checksum);
    END IF;
END $$;

ALTER TABLE public.documents DROP CONSTRAINT IF EXISTS documents_sha256_key;

CREATE INDEX IF NOT EXISTS idx_documents_tenant_external_id ON public.documents USING btree (tenant_id, external_id);

-- Workers claim the oldest queued job (ORDER BY created_at ... FOR UPDATE SKIP LOCKED) and sweep stale running ones.
CREATE INDEX IF NOT EXISTS idx_jobs_status_created ON public.ingestion_jobs USING btree (status, created_at);
