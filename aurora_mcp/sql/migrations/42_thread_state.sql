-- 42: per-conversation follow-up state: a safe outline (section ids and titles), doc ids and titles, never document text.

CREATE TABLE IF NOT EXISTS public.thread_state (
    tenant_id uuid NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
    caller_app text NOT NULL,
    thread_id text NOT NULL,
    last_outline jsonb,
    last_doc_ids jsonb,
    last_titles jsonb,
    last_answer_query_id uuid,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT thread_state_pkey PRIMARY KEY (tenant_id, caller_app, thread_id)
);
