import { lookup, Resolver } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** DNS did not answer in time: the system resolver would wait as long, on a thread. */
const NO_ANSWER = new Set(['ETIMEOUT', 'ECANCELLED']);

const dns = new Resolver({ timeout: 2_000, tries: 2 });

/**
 * A host name's addresses, IPv4 first. DNS is asked through c-ares (`dns.Resolver`), which
 * waits on sockets: `dns.lookup` (getaddrinfo) holds a libuv threadpool thread for as long as
 * resolution takes, and that pool (4 threads) also hashes passwords, so slow DNS would stall
 * sign-ins. Names DNS answers "no such name" for (`localhost`, /etc/hosts entries such as
 * compose's `extra_hosts`) go to `dns.lookup` next; a DNS timeout does not, as getaddrinfo
 * would then hang on its thread too. The caller bounds the whole with its deadline.
 */
export async function resolveHost(host: string): Promise<ResolvedAddress[]> {
  const answers = await Promise.allSettled([dns.resolve4(host), dns.resolve6(host)]);
  const found = answers.flatMap((answer, index) =>
    answer.status === 'fulfilled' ? answer.value.map((address) => ({ address, family: index === 0 ? (4 as const) : (6 as const) })) : [],
  );
  if (found.length > 0) return found;
  for (const answer of answers) {
    if (answer.status === 'rejected' && NO_ANSWER.has((answer.reason as NodeJS.ErrnoException).code ?? '')) throw answer.reason;
  }
  const system = await lookup(host, { all: true });
  return system
    .map(({ address, family }) => ({ address, family: family === 6 ? (6 as const) : (4 as const) }))
    .sort((x, y) => x.family - y.family);
}
