/** The example's server (serve.mjs), for the TypeScript test that starts it. */
export interface ExampleServer {
  url: string;
  close(): Promise<void>;
}

export function serveExample(options: { apiUrl: string | (() => string); port?: number; clientDir?: string }): Promise<ExampleServer>;
