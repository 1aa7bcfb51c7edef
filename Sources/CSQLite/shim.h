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

/* A VFS in front of the default one that writes each transaction's WAL frames with one system
   call instead of two per frame. SQLite writes a frame as its 24-byte header, then its page at
   the next offset, frame after frame; this holds contiguous writes back in a buffer and writes
   them at once when the page of a commit frame (a header whose "database size after commit" is
   not zero) has been added, so that a transaction's frames reach the file together, before
   SQLite goes on to sync the log (FULL) and to publish the commit in the WAL index for readers.
   Any other operation on the file (read, sync, truncate, size, close, a write elsewhere) writes
   what is held first, so what reaches the file, and in which order relative to syncs, reads and
   truncations, is what SQLite asked for. Files other than the WAL pass straight through to the
   default VFS. Measured: a 10-message commit took 194 µs with a write per header and page. */
#include <string.h>

#define SB_WAL_FRAME_HEADER 24
/* Held bytes are written once they would pass this (a very large transaction). */
#define SB_WAL_HOLD_LIMIT (4 * 1024 * 1024)

typedef struct sb_wal_file {
    sqlite3_file base;
    sqlite3_file *real;
    unsigned char *buffer;              /* held writes: `held` contiguous bytes from heldOffset */
    int held;
    int capacity;
    sqlite3_int64 heldOffset;
    int commitPending;                  /* the last header held is a commit frame's */
} sb_wal_file;

/* Function-local: Swift's importer emits a header's functions, not its global variables. */
typedef struct sb_vfs_state {
    sqlite3_vfs *real;
    sqlite3_vfs vfs;
    sqlite3_io_methods walMethods;
} sb_vfs_state;
static sb_vfs_state *sb_vfs_globals(void) {
    static sb_vfs_state state;
    return &state;
}
#define sb_real_vfs (sb_vfs_globals()->real)
#define sb_vfs (sb_vfs_globals()->vfs)
#define sb_wal_methods (sb_vfs_globals()->walMethods)

/* The default VFS writes at most 0x1ffff bytes per call (and nothing at all for a multiple of
   0x20000, which it reports as a full disk): write in chunks below that. */
#define SB_WAL_WRITE_CHUNK 0x1F000

static int sb_wal_flush(sb_wal_file *f) {
    if (f->held == 0) return SQLITE_OK;
    int n = f->held;
    f->held = 0;
    f->commitPending = 0;
    for (int done = 0; done < n; done += SB_WAL_WRITE_CHUNK) {
        int part = n - done < SB_WAL_WRITE_CHUNK ? n - done : SB_WAL_WRITE_CHUNK;
        int rc = f->real->pMethods->xWrite(f->real, f->buffer + done, part, f->heldOffset + done);
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

static int sb_wal_close(sqlite3_file *file) {
    sb_wal_file *f = (sb_wal_file *)file;
    int rc = sb_wal_flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    sqlite3_free(f->buffer);
    f->buffer = 0;
    f->capacity = 0;
    return rc != SQLITE_OK ? rc : rc2;
}
static int sb_wal_read(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset) {
    sb_wal_file *f = (sb_wal_file *)file;
    int rc = sb_wal_flush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xRead(f->real, out, amount, offset);
}
static int sb_wal_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    sb_wal_file *f = (sb_wal_file *)file;
    int rc;
    if (f->held != 0 && (offset != f->heldOffset + f->held || f->held + amount > SB_WAL_HOLD_LIMIT)) {
        rc = sb_wal_flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    if (amount <= 0 || amount > SB_WAL_HOLD_LIMIT) {
        return f->real->pMethods->xWrite(f->real, data, amount, offset);
    }
    if (f->held + amount > f->capacity) {
        int wanted = f->capacity < 65536 ? 65536 : f->capacity;
        while (wanted < f->held + amount) wanted *= 2;
        unsigned char *grown = (unsigned char *)sqlite3_realloc(f->buffer, wanted);
        if (grown == 0) {
            rc = sb_wal_flush(f);
            if (rc != SQLITE_OK) return rc;
            return f->real->pMethods->xWrite(f->real, data, amount, offset);
        }
        f->buffer = grown;
        f->capacity = wanted;
    }
    if (f->held == 0) f->heldOffset = offset;
    memcpy(f->buffer + f->held, data, (size_t)amount);
    f->held += amount;
    if (amount == SB_WAL_FRAME_HEADER) {
        /* Bytes 4-7 of a frame header: the database size after commit, or 0 (not a commit). */
        const unsigned char *h = (const unsigned char *)data;
        f->commitPending = (h[4] | h[5] | h[6] | h[7]) != 0;
        return SQLITE_OK;
    }
    if (f->commitPending) return sb_wal_flush(f);
    return SQLITE_OK;
}
static int sb_wal_truncate(sqlite3_file *file, sqlite3_int64 size) {
    sb_wal_file *f = (sb_wal_file *)file;
    int rc = sb_wal_flush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xTruncate(f->real, size);
}
static int sb_wal_sync(sqlite3_file *file, int flags) {
    sb_wal_file *f = (sb_wal_file *)file;
    int rc = sb_wal_flush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xSync(f->real, flags);
}
static int sb_wal_file_size(sqlite3_file *file, sqlite3_int64 *size) {
    sb_wal_file *f = (sb_wal_file *)file;
    int rc = sb_wal_flush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileSize(f->real, size);
}
static int sb_wal_lock(sqlite3_file *file, int level) {
    sb_wal_file *f = (sb_wal_file *)file;
    return f->real->pMethods->xLock(f->real, level);
}
static int sb_wal_unlock(sqlite3_file *file, int level) {
    sb_wal_file *f = (sb_wal_file *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}
static int sb_wal_check_reserved_lock(sqlite3_file *file, int *out) {
    sb_wal_file *f = (sb_wal_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}
static int sb_wal_file_control(sqlite3_file *file, int op, void *arg) {
    sb_wal_file *f = (sb_wal_file *)file;
    int rc = sb_wal_flush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}
static int sb_wal_sector_size(sqlite3_file *file) {
    sb_wal_file *f = (sb_wal_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}
static int sb_wal_device_characteristics(sqlite3_file *file) {
    sb_wal_file *f = (sb_wal_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int sb_vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    if ((flags & SQLITE_OPEN_WAL) == 0) {
        /* Not the WAL: the default VFS's own file, in the same memory (szOsFile covers it). */
        return sb_real_vfs->xOpen(sb_real_vfs, name, file, flags, outFlags);
    }
    sb_wal_file *f = (sb_wal_file *)file;
    memset(f, 0, sizeof(sb_wal_file));
    f->real = (sqlite3_file *)((char *)file + sizeof(sb_wal_file));
    int rc = sb_real_vfs->xOpen(sb_real_vfs, name, f->real, flags, outFlags);
    if (f->real->pMethods == 0) { file->pMethods = 0; return rc; }
    file->pMethods = &sb_wal_methods;
    return rc;
}
static int sb_vfs_delete(sqlite3_vfs *v, const char *n, int s) { (void)v; return sb_real_vfs->xDelete(sb_real_vfs, n, s); }
static int sb_vfs_access(sqlite3_vfs *v, const char *n, int f, int *o) { (void)v; return sb_real_vfs->xAccess(sb_real_vfs, n, f, o); }
static int sb_vfs_full_pathname(sqlite3_vfs *v, const char *n, int c, char *o) { (void)v; return sb_real_vfs->xFullPathname(sb_real_vfs, n, c, o); }
static void *sb_vfs_dl_open(sqlite3_vfs *v, const char *n) { (void)v; return sb_real_vfs->xDlOpen(sb_real_vfs, n); }
static void sb_vfs_dl_error(sqlite3_vfs *v, int c, char *o) { (void)v; sb_real_vfs->xDlError(sb_real_vfs, c, o); }
static void (*sb_vfs_dl_sym(sqlite3_vfs *v, void *h, const char *s))(void) { (void)v; return sb_real_vfs->xDlSym(sb_real_vfs, h, s); }
static void sb_vfs_dl_close(sqlite3_vfs *v, void *h) { (void)v; sb_real_vfs->xDlClose(sb_real_vfs, h); }
static int sb_vfs_randomness(sqlite3_vfs *v, int c, char *o) { (void)v; return sb_real_vfs->xRandomness(sb_real_vfs, c, o); }
static int sb_vfs_sleep(sqlite3_vfs *v, int us) { (void)v; return sb_real_vfs->xSleep(sb_real_vfs, us); }
static int sb_vfs_current_time(sqlite3_vfs *v, double *t) { (void)v; return sb_real_vfs->xCurrentTime(sb_real_vfs, t); }
static int sb_vfs_get_last_error(sqlite3_vfs *v, int c, char *o) { (void)v; return sb_real_vfs->xGetLastError ? sb_real_vfs->xGetLastError(sb_real_vfs, c, o) : 0; }
static int sb_vfs_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *t) { (void)v; return sb_real_vfs->xCurrentTimeInt64(sb_real_vfs, t); }

/* An xFileControl op no VFS knows: the shim's xFileControl writes what it holds, then the real
   file answers SQLITE_NOTFOUND. */
#define SB_FCNTL_FLUSH_HELD 0x5B5B

/* Writes what the WAL shim still holds for `db`'s main database. SQLite can return from COMMIT
   with a frame header held: when a transaction wrote a page twice (after a cache spill) it
   rewrites the checksums of its frames, one 24-byte header write each, the last one the commit
   frame's, and no page write follows to flush it. With synchronous=FULL the sync in COMMIT wrote
   it; otherwise it would wait for the next operation on the log. Call after every COMMIT.
   Through the file's methods rather than sb_wal_flush: this header's static functions have a copy
   per object file, so its sb_wal_methods cannot be compared across files. */
static inline int sb_sqlite3_flush_wal(sqlite3 *db) {
    sqlite3_file *wal = 0;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    if (rc != SQLITE_OK || wal == 0 || wal->pMethods == 0) return rc == SQLITE_NOTFOUND ? SQLITE_OK : rc;
    rc = wal->pMethods->xFileControl(wal, SB_FCNTL_FLUSH_HELD, 0);
    return rc == SQLITE_NOTFOUND ? SQLITE_OK : rc;
}

/* Registers the frame-coalescing VFS as the default. Call once, after sqlite3_config and before
   the first connection opens. Returns SQLITE_OK, or an error (the default VFS stays in use). */
static inline int sb_sqlite3_register_wal_coalescing_vfs(void) {
    sb_real_vfs = sqlite3_vfs_find(0);
    if (sb_real_vfs == 0) return SQLITE_ERROR;
    if (sb_real_vfs->iVersion < 2 || sb_real_vfs->xCurrentTimeInt64 == 0) return SQLITE_ERROR;
    memset(&sb_wal_methods, 0, sizeof(sb_wal_methods));
    sb_wal_methods.iVersion = 1;
    sb_wal_methods.xClose = sb_wal_close;
    sb_wal_methods.xRead = sb_wal_read;
    sb_wal_methods.xWrite = sb_wal_write;
    sb_wal_methods.xTruncate = sb_wal_truncate;
    sb_wal_methods.xSync = sb_wal_sync;
    sb_wal_methods.xFileSize = sb_wal_file_size;
    sb_wal_methods.xLock = sb_wal_lock;
    sb_wal_methods.xUnlock = sb_wal_unlock;
    sb_wal_methods.xCheckReservedLock = sb_wal_check_reserved_lock;
    sb_wal_methods.xFileControl = sb_wal_file_control;
    sb_wal_methods.xSectorSize = sb_wal_sector_size;
    sb_wal_methods.xDeviceCharacteristics = sb_wal_device_characteristics;
    memset(&sb_vfs, 0, sizeof(sb_vfs));
    sb_vfs.iVersion = 2;
    sb_vfs.szOsFile = (int)sizeof(sb_wal_file) + sb_real_vfs->szOsFile;
    sb_vfs.mxPathname = sb_real_vfs->mxPathname;
    sb_vfs.zName = "switchboard-unix";
    sb_vfs.xOpen = sb_vfs_open;
    sb_vfs.xDelete = sb_vfs_delete;
    sb_vfs.xAccess = sb_vfs_access;
    sb_vfs.xFullPathname = sb_vfs_full_pathname;
    sb_vfs.xDlOpen = sb_vfs_dl_open;
    sb_vfs.xDlError = sb_vfs_dl_error;
    sb_vfs.xDlSym = sb_vfs_dl_sym;
    sb_vfs.xDlClose = sb_vfs_dl_close;
    sb_vfs.xRandomness = sb_vfs_randomness;
    sb_vfs.xSleep = sb_vfs_sleep;
    sb_vfs.xCurrentTime = sb_vfs_current_time;
    sb_vfs.xGetLastError = sb_vfs_get_last_error;
    sb_vfs.xCurrentTimeInt64 = sb_vfs_current_time_int64;
    return sqlite3_vfs_register(&sb_vfs, 1);
}
#endif
