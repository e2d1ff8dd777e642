-- The raw upload is an object like any other, so it gets an artifacts row (DESIGN §5): add its kind.
ALTER TYPE public.asset_kind ADD VALUE IF NOT EXISTS 'original';
