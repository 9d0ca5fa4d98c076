import { Module } from '@nestjs/common';
import { RecordAccess } from './record-access';

/** Collection access rules: the one place that turns a rule into SQL or a predicate for a caller. */
@Module({ providers: [RecordAccess], exports: [RecordAccess] })
export class AccessModule {}
