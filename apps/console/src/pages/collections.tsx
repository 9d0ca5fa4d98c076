// The collections section lives in ./collections/; this module keeps the import paths others use.
export { CollectionsPage } from './collections/collections-page';
export type { CollectionInfo, FieldDefinition } from './collections/schema';
