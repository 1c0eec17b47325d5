/**
 * One `npm start` per data directory: the embedded database has one writer. The lock is a file
 * holding the owner's pid, created exclusively; a lock whose process is gone (killed, crashed)
 * is taken over, so a killed process never leaves it stuck. The owner also records where its
 * embedded database listens, so `npm run token` can read through it instead of opening a
 * second writer on the same files.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { StartupError } from "../startup-error.js";

interface LockRecord {
  pid: number;
  startedAt: string;
  /** The embedded database's loopback URL, once it listens. */
  databaseUrl?: string;
}

export interface DataDirLock {
  /** Records the embedded database's URL for `npm run token`. */
  publish(databaseUrl: string): void;
  release(): void;
}

const lockPath = (dataDir: string) => resolve(dataDir, "callsync.lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The live owner of the data directory, if any. */
export function lockOwner(dataDir: string): LockRecord | null {
  try {
    const record = JSON.parse(readFileSync(lockPath(dataDir), "utf8")) as LockRecord;
    return typeof record.pid === "number" && alive(record.pid) ? record : null;
  } catch {
    return null;
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = lockPath(dataDir);
  const record: LockRecord = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeFileSync(fd, JSON.stringify(record));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
      const owner = lockOwner(dataDir);
      if (owner && owner.pid !== process.pid)
        throw new StartupError(
          `another callsync (pid ${owner.pid}, started ${owner.startedAt}) is using the data directory ${resolve(dataDir)}. Stop it first, or set CALLSYNC_DATA_DIR=<another directory>.`,
        );
      rmSync(path, { force: true }); // its owner is gone
    }
  }
  return {
    publish(databaseUrl) {
      record.databaseUrl = databaseUrl;
      writeFileSync(path, JSON.stringify(record), { mode: 0o600 });
    },
    release() {
      if (lockOwner(dataDir)?.pid === process.pid) rmSync(path, { force: true });
    },
  };
}
