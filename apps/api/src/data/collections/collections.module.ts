import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { CollectionOpenApi } from '../openapi/collection-openapi';
import { CollectionCatalog } from './collection-catalog';
import { CollectionsController } from './collections.controller';
import { CollectionsRepository } from './collections.repository';
import { CollectionsService } from './collections.service';
import { FieldIndexSync } from './field-index-sync';
import { FieldIndexesRepository } from './field-indexes.repository';

/** Runtime collection definitions: their schemas, rules, field indexes, and their part of the OpenAPI document. */
@Module({
  imports: [AccessModule],
  controllers: [CollectionsController],
  providers: [CollectionsRepository, CollectionCatalog, CollectionsService, FieldIndexesRepository, FieldIndexSync, CollectionOpenApi],
  exports: [CollectionCatalog, CollectionOpenApi, FieldIndexesRepository],
})
export class CollectionsModule {}
