"""A hand-written, question-style set over the same manual sections (English and French), judged by hand.

Each question names the sections that answer it (grade 2) either by DocBook id or as `file.html:Heading` for the
reference-page sections whose ids are generated; parents and children of those sections get grade 1, as in the
index-term set. Index terms favour BM25 (they are the manual's own words); these questions are how people ask.
"""

from __future__ import annotations

from bench.quality_dataset import Query

QUESTIONS: list[tuple[str, list[str]]] = [
    ("How do I reclaim disk space from deleted rows?", ["VACUUM-FOR-SPACE-RECOVERY", "sql-vacuum.html:Description"]),
    ("What happens if transaction IDs wrap around, and how do I prevent it?", ["VACUUM-FOR-WRAPAROUND"]),
    ("How can I back up a single database while people keep using it?", ["BACKUP-DUMP", "PG-DUMP-DESCRIPTION"]),
    ("How do I restore a database from a custom-format dump file?",
     ["APP-PGRESTORE-DESCRIPTION", "BACKUP-DUMP-RESTORE"]),
    ("How do I set up point-in-time recovery from archived WAL?",
     ["BACKUP-PITR-RECOVERY", "BACKUP-ARCHIVING-WAL"]),
    ("How do I upgrade to a new major version without a dump and reload?",
     ["UPGRADING-VIA-PG-UPGRADE", "pgupgrade.html:Description"]),
    ("Why is my query not using an index?", ["INDEXES-EXAMINE"]),
    ("How can I see the execution plan of a query with actual run times?",
     ["USING-EXPLAIN-ANALYZE", "sql-explain.html:Description"]),
    ("How can I build an index without blocking writes to the table?", ["SQL-CREATEINDEX-CONCURRENTLY"]),
    ("How do I restrict which rows of a table each user can see?",
     ["DDL-ROWSECURITY", "sql-createpolicy.html:Description"]),
    ("How do I allow connections only from one subnet with password authentication?",
     ["AUTH-PG-HBA-CONF", "AUTH-PASSWORD"]),
    ("How do I encrypt the connections between clients and the server?", ["SSL-TCP", "LIBPQ-SSL"]),
    ("What is the difference between read committed and serializable isolation?",
     ["TRANSACTION-ISO", "XACT-READ-COMMITTED", "XACT-SERIALIZABLE"]),
    ("How does the database detect and resolve deadlocks between transactions?", ["LOCKING-DEADLOCKS"]),
    ("What is the fastest way to load a large amount of data into a table?", ["POPULATE", "POPULATE-COPY-FROM"]),
    ("How do I find out how much disk space a table and its indexes use?",
     ["DISK-USAGE", "FUNCTIONS-ADMIN-DBOBJECT"]),
    ("How do I write a query that walks a tree of parent and child rows?", ["QUERIES-WITH-RECURSIVE"]),
    ("How do I compute a running total over rows ordered by date?",
     ["TUTORIAL-WINDOW", "SYNTAX-WINDOW-FUNCTIONS", "FUNCTIONS-WINDOW"]),
    ("How do I split a big table into partitions by date range?",
     ["DDL-PARTITIONING-DECLARATIVE", "DDL-PARTITIONING-DECLARATIVE-EXAMPLE"]),
    ("How do I replicate only some tables to another server?",
     ["LOGICAL-REPLICATION-PUBLICATION", "LOGICAL-REPLICATION-QUICK-SETUP"]),
    ("How do I run a read-only standby server that can answer queries?", ["HOT-STANDBY", "HOT-STANDBY-ADMIN"]),
    ("How do I automatically generate unique ids for a primary key column?",
     ["DATATYPE-SERIAL", "FUNCTIONS-SEQUENCE", "SQL-CREATESEQUENCE"]),
    ("How do I store JSON documents and query fields inside them?",
     ["DATATYPE-JSON", "FUNCTIONS-JSON-PROCESSING"]),
    ("How can I search documents by words with stemming and rank the matches?",
     ["TEXTSEARCH-INTRO", "TEXTSEARCH-CONTROLS", "TEXTSEARCH-RANKING"]),
    ("How do I find the slowest queries running on my server?",
     ["PGSTATSTATEMENTS", "AUTO-EXPLAIN", "RUNTIME-CONFIG-LOGGING-WHEN"]),
    ("How much memory should I give to shared buffers and work_mem?", ["RUNTIME-CONFIG-RESOURCE-MEMORY"]),
    ("How do I change a server setting without editing postgresql.conf by hand?",
     ["SQL-ALTERSYSTEM", "CONFIG-SETTING-SQL-COMMAND-INTERACTION"]),
    ("How can I see which queries are running right now and who runs them?",
     ["MONITORING-PG-STAT-ACTIVITY-VIEW", "MONITORING-STATS-VIEWS"]),
    ("How can I run a function automatically every time a row is inserted?",
     ["SQL-CREATETRIGGER", "PLPGSQL-TRIGGER", "TRIGGER-DEFINITION"]),
    ("How does my application get notified when some data changes?", ["SQL-LISTEN", "SQL-NOTIFY", "LIBPQ-NOTIFY"]),
    ("How do I compare text case-insensitively?", ["CITEXT", "COLLATION-NONDETERMINISTIC"]),
    ("How do I speed up LIKE searches that start with a wildcard?", ["PGTRGM", "pgtrgm.html:Index Support"]),
    ("How do I query a table that lives on another PostgreSQL server?", ["POSTGRES-FDW", "DBLINK"]),
    ("How do I hash passwords or encrypt data inside the database?", ["PGCRYPTO"]),
    ("How are very large column values stored on disk?", ["STORAGE-TOAST", "STORAGE-TOAST-ONDISK"]),
    ("How do I insert a row, or update it if it already exists?", ["SQL-ON-CONFLICT", "SQL-MERGE"]),
    ("How do I stop the database server safely?", ["SERVER-SHUTDOWN"]),
    ("What does a checkpoint do and how often should it happen?", ["WAL-CONFIGURATION"]),
    ("How do I turn on page checksums to detect data corruption?",
     ["CHECKSUMS", "CHECKSUMS-OFFLINE-ENABLE-DISABLE", "APP-PGCHECKSUMS"]),
    ("How do I give a user read-only access to every table in a schema?",
     ["DDL-PRIV", "SQL-GRANT-DESCRIPTION-OBJECTS", "PREDEFINED-ROLES"]),
    ("Can one query use several CPU cores at once?",
     ["HOW-PARALLEL-QUERY-WORKS", "WHEN-CAN-PARALLEL-QUERY-BE-USED"]),
    ("The planner misestimates rows because two columns are correlated; what can I do?",
     ["PLANNER-STATS-EXTENDED", "SQL-CREATESTATISTICS-DESCRIPTION"]),
    ("How do I rebuild a bloated index?", ["ROUTINE-REINDEX", "sql-reindex.html:Description"]),
    # French
    ("Comment récupérer l'espace disque occupé par les lignes supprimées ?",
     ["VACUUM-FOR-SPACE-RECOVERY", "sql-vacuum.html:Description"]),
    ("Comment sauvegarder une base de données avec pg_dump ?", ["BACKUP-DUMP", "PG-DUMP-DESCRIPTION"]),
    ("Comment créer un index sans bloquer les écritures sur la table ?", ["SQL-CREATEINDEX-CONCURRENTLY"]),
    ("Quelle est la différence entre les niveaux d'isolation des transactions ?",
     ["TRANSACTION-ISO", "XACT-READ-COMMITTED", "XACT-SERIALIZABLE"]),
    ("Comment partitionner une grande table par plage de dates ?",
     ["DDL-PARTITIONING-DECLARATIVE", "DDL-PARTITIONING-DECLARATIVE-EXAMPLE"]),
    ("Comment configurer la réplication logique entre deux serveurs ?",
     ["LOGICAL-REPLICATION-QUICK-SETUP", "LOGICAL-REPLICATION-PUBLICATION"]),
    ("Comment chiffrer les connexions des clients avec SSL ?", ["SSL-TCP", "LIBPQ-SSL"]),
    ("Comment afficher le plan d'exécution d'une requête ?", ["USING-EXPLAIN-BASICS", "sql-explain.html:Description"]),
    ("Comment limiter les lignes visibles par chaque utilisateur ?",
     ["DDL-ROWSECURITY", "sql-createpolicy.html:Description"]),
    ("Comment passer à une nouvelle version majeure de PostgreSQL ?",
     ["UPGRADING", "UPGRADING-VIA-PG-UPGRADE", "pgupgrade.html:Description"]),
    ("Comment écrire une requête récursive sur une arborescence ?", ["QUERIES-WITH-RECURSIVE"]),
    ("Comment la base détecte-t-elle les interblocages ?", ["LOCKING-DEADLOCKS"]),
]


def resolve_ref(ref: str, sections: dict[str, dict]) -> str:
    """A section id as given, or the one section of `file.html` with that heading; raises KeyError otherwise."""
    if ref in sections:
        return ref
    name, sep, heading = ref.partition(":")
    if sep:
        found = [sid for sid, s in sections.items() if s["file"] == name and s["heading"] == heading]
        if len(found) == 1:
            return found[0]
    raise KeyError(f"question judgment names no single section: {ref}")


def question_queries(sections: dict[str, dict], children: dict[str, list[str]]) -> list[Query]:
    """The questions as judged queries over the dataset's sections (grade 2 named, grade 1 parent/children)."""
    queries = []
    for n, (text, refs) in enumerate(QUESTIONS):
        grades: dict[str, int] = {}
        for ref in refs:
            sid = resolve_ref(ref, sections)
            grades[sid] = 2
            for rel in [sections[sid].get("parent"), *children.get(sid, [])]:
                if rel and rel in sections and grades.get(rel, 0) < 2:
                    grades[rel] = 1
        queries.append(Query(qid=f"q{n:03d}", text=text, grades=grades))
    return queries
