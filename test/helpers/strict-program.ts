import ts from 'typescript';

/**
 * The options a strict app would compile with, `@backlot/client` resolved to `client` (the
 * package's sources): for tests that type-check code written against the client.
 */
export function strictClientProgramOptions(client: string): ts.CompilerOptions {
  return {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
    paths: { '@backlot/client': [client] },
  };
}
