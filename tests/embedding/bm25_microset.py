"""A small French/English retrieval set (passages, queries, the passage each query wants) for BM25 quality checks."""

from __future__ import annotations

PASSAGES: dict[str, str] = {
    "en-backup": "pg_dump writes a consistent backup of a single database while other users keep working; "
    "restore it with pg_restore or psql.",
    "en-replication": "Streaming replication ships the write-ahead log from the primary server to standby servers, "
    "which replay it continuously.",
    "en-index": "Indexes speed up queries that filter on a column; indexing every column slows down inserts.",
    "en-vacuum": "VACUUM reclaims storage occupied by dead tuples; autovacuum runs it automatically in the background.",
    "en-connections": "The max_connections setting limits concurrent client connections; use a pooler such as "
    "PgBouncer when thousands of clients connect.",
    "en-encryption": "Enable TLS so that passwords and query results are encrypted on the network between client "
    "and server.",
    "en-partition": "Declarative partitioning splits a large table into partitions by range, list or hash of a key.",
    "en-monitoring": "The pg_stat_activity view shows the running queries of every session and how long they waited.",
    "fr-sauvegarde": "Les sauvegardes quotidiennes de la base sont conservées trente jours dans le stockage objet, "
    "puis supprimées automatiquement.",
    "fr-replication": "La réplication synchrone garantit qu'une transaction validée est écrite sur le serveur "
    "secondaire avant de répondre au client.",
    "fr-index": "Un index sur la colonne de recherche accélère les requêtes, mais chaque index ralentit les écritures.",
    "fr-elephant": "L'éléphant est le symbole de PostgreSQL depuis ses premières versions.",
    "fr-droits": "Les droits d'accès se gèrent avec GRANT et REVOKE ; un rôle peut hériter des privilèges d'un autre "
    "rôle.",
    "fr-migration": "Pour migrer vers une version majeure, pg_upgrade réutilise les fichiers de données existants "
    "sans les recopier.",
    "fr-journal": "Les journaux de transactions permettent de restaurer la base à un instant précis après une panne.",
    "fr-performance": "Pour améliorer les performances, augmentez shared_buffers et vérifiez les plans d'exécution "
    "avec EXPLAIN.",
}

# (query, the passage it wants). Mixed on purpose: full questions, keyword queries with no stopword to guess the
# language from, accents dropped as people type them, and French questions over English passages.
QUERIES: list[tuple[str, str]] = [
    ("How do I back up a database with pg_dump?", "en-backup"),
    ("dump database", "en-backup"),
    ("standby servers replay the log", "en-replication"),
    ("does indexing slow inserts", "en-index"),
    ("dead tuples storage", "en-vacuum"),
    ("too many client connections", "en-connections"),
    ("encrypt passwords network", "en-encryption"),
    ("partitioned tables by range", "en-partition"),
    ("which queries are running right now", "en-monitoring"),
    ("sauvegarde quotidienne", "fr-sauvegarde"),
    ("combien de temps les sauvegardes sont-elles conservées ?", "fr-sauvegarde"),
    ("replication synchrone", "fr-replication"),
    ("est-ce qu'un index ralentit l'écriture ?", "fr-index"),
    ("elephant", "fr-elephant"),
    ("comment gérer les droits d'un rôle", "fr-droits"),
    ("migrer version majeure", "fr-migration"),
    ("restaurer après une panne", "fr-journal"),
    ("améliorer performances", "fr-performance"),
    ("réplication du serveur standby", "en-replication"),
    ("partitionnement d'une table", "en-partition"),
    ("synchronous replication", "fr-replication"),
    ("sauvegardes conservees", "fr-sauvegarde"),
    ("ecritures ralenties par les index", "fr-index"),
    ("fichiers de donnees existants", "fr-migration"),
    ("privileges inherited by roles", "fr-droits"),
    ("transaction validee", "fr-replication"),
    ("écriture ralentie", "fr-index"),
    ("privilèges hérités", "fr-droits"),
    ("fichiers recopiés", "fr-migration"),
    ("sauvegardes supprimées automatiquement", "fr-sauvegarde"),
    ("plan d'exécution vérifié", "fr-performance"),
    ("supprimer les anciennes sauvegardes", "fr-sauvegarde"),
    ("conserver trente jours", "fr-sauvegarde"),
]

# Cross-language paraphrases share no word with their passage: only the dense embedder can find them.
DENSE_ONLY_QUERIES: list[tuple[str, str]] = [
    ("comment surveiller les requêtes en cours d'exécution", "en-monitoring"),
    ("chiffrer les mots de passe sur le réseau", "en-encryption"),
    ("restoring a database to a precise instant after a crash", "fr-journal"),
]
