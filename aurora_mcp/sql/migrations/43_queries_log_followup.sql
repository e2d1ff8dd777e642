-- 43: queries_log observability for multi-turn follow-ups (thread, retrieval retries, condensing, resolved reference).

ALTER TABLE public.queries_log
    ADD COLUMN IF NOT EXISTS thread_id text,
    ADD COLUMN IF NOT EXISTS caller_app text,
    ADD COLUMN IF NOT EXISTS retrieval_query_final text,
    ADD COLUMN IF NOT EXISTS retrieval_queries_tried jsonb,
    ADD COLUMN IF NOT EXISTS retrieval_retry_count integer,
    ADD COLUMN IF NOT EXISTS condense_used boolean,
    ADD COLUMN IF NOT EXISTS condense_model text,
    ADD COLUMN IF NOT EXISTS followup_resolved boolean,
    ADD COLUMN IF NOT EXISTS followup_section_id text,
    ADD COLUMN IF NOT EXISTS followup_section_title text,
    ADD COLUMN IF NOT EXISTS followup_ref_type text;

CREATE INDEX IF NOT EXISTS idx_qlog_tenant_thread ON public.queries_log USING btree (tenant_id, thread_id);
