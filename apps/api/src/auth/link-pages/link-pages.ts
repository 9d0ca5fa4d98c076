import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@backlot/config';
import { LINK_PAGE_SCRIPT } from './link-page-script';
import { LINK_PAGE_CSP, LINK_PAGE_SCRIPT_PATH, LINK_PAGES, renderLinkPage } from './pages';

/**
 * In development without APP_URL, the links in mails point at the API's own origin: it serves
 * a small page for each, which posts the token to the API, so a logged mail's link works. Plain
 * Fastify routes outside /api/v1: pages, not API operations (no OpenAPI entry, no JSON CSP).
 * In production, or once APP_URL names the app that handles them, these paths do not exist.
 */
export function serveLinkPages(app: NestFastifyApplication, config: AppConfig): void {
  if (!config.auth.linkPages) return;
  const fastify = app.getHttpAdapter().getInstance();
  for (const page of LINK_PAGES) {
    const html = renderLinkPage(page);
    fastify.get(page.path, (_request, reply) =>
      reply
        .headers({
          'content-security-policy': LINK_PAGE_CSP,
          // The token is in the address: no Referer may carry it anywhere, and no cache may keep it.
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-store',
        })
        .type('text/html; charset=utf-8')
        .send(html),
    );
  }
  fastify.get(LINK_PAGE_SCRIPT_PATH, (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(LINK_PAGE_SCRIPT),
  );
}
