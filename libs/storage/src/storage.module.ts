import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { createStorage } from './create-storage';
import { LocalDirPeers } from './local-dir-peers';
import { STORAGE, type Storage } from './storage';

/** The configured Storage (STORAGE_DRIVER), for everything that keeps file bytes. */
@Global()
@Module({
  providers: [
    { provide: STORAGE, inject: [APP_CONFIG], useFactory: (config: AppConfig): Storage => createStorage(config.storage) },
    // Refuses a start whose local directory is not the one the running instances share.
    LocalDirPeers,
  ],
  exports: [STORAGE],
})
export class StorageModule implements OnApplicationShutdown {
  constructor(@Inject(STORAGE) private readonly storage: Storage) {}

  onApplicationShutdown(): void {
    this.storage.close?.();
  }
}
