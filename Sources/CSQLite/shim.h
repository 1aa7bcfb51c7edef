#ifndef SWITCHBOARD_CSQLITE_SHIM_H
#define SWITCHBOARD_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import. */
static inline int sb_sqlite3_bind_text_transient(sqlite3_stmt *s, int i, const char *text, int n) {
    return sqlite3_bind_text(s, i, text, n, SQLITE_TRANSIENT);
}
static inline int sb_sqlite3_bind_blob_transient(sqlite3_stmt *s, int i, const void *blob, int n) {
    return sqlite3_bind_blob(s, i, blob, n, SQLITE_TRANSIENT);
}
/* sqlite3_config is variadic. */
static inline int sb_sqlite3_config_multithread(void) { return sqlite3_config(SQLITE_CONFIG_MULTITHREAD); }
/* Memory statistics cost a global mutex on every SQLite allocation; the store does not read them.
   Like every sqlite3_config call it only works before the first connection opens (else SQLITE_MISUSE). */
static inline int sb_sqlite3_config_memstatus(int on) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, on); }
#endif
