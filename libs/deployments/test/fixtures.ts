import {
  createRepositories,
  DatabaseHandle,
  openDatabase,
  Repositories,
} from '@chatops/persistence';

/** A fresh in-memory SQLite system of record per test; `repos()` reads the current one. */
export function useInMemoryRepositories(): () => Repositories {
  let handle: DatabaseHandle;
  let repos: Repositories;
  beforeEach(async () => {
    handle = await openDatabase('sqlite::memory:');
    repos = createRepositories(handle);
  });
  afterEach(() => handle.close());
  return () => repos;
}
