"""Operations: backups and restores, encrypted provider keys, tenant administration."""
