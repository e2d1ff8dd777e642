-- 45: bearer tokens for HTTP callers; only the SHA-256 of a token is stored, and it maps to a tenant and a caller_app.

CREATE TABLE IF NOT EXISTS public.api_tokens (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    tenant_id uuid NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
    caller_app text NOT NULL,
    label text,
    token_sha256 text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    CONSTRAINT api_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT api_tokens_token_sha256_key UNIQUE (token_sha256)
);

CREATE INDEX IF NOT EXISTS idx_api_tokens_tenant ON public.api_tokens USING btree (tenant_id);
