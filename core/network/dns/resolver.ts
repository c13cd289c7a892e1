// The embedded DNS server's answers (dockerd's libnetwork resolver, 127.0.0.11 in containers on
// user-defined networks): A for the names of containers on the client's networks, an empty
// NOERROR for AAAA of those names (so clients do not go on to ask upstream for them), PTR for
// their addresses; everything else goes to the host's resolvers. Messages are dns-packet's
// decoded form; encoding and the sockets are the host's (host-linux/net/dns-server.ts).
import type { Answer, Packet, Question } from 'dns-packet';
import type { ServiceRecords } from './service-records.ts';
import { resolveName } from './resolve-name.ts';

/** dockerd's respTTL: containers come and go, so answers are not cached for long. */
export const DNS_TTL = 600;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

// Header bits (RFC 1035 4.1.1) as dns-packet's flags field carries them, rcode in the low 4 bits.
const FLAG_RD = 1 << 8;
const FLAG_RA = 1 << 7;
const OPCODE_MASK = 0xf << 11;

/** The container asking: the networks it is on (in the order it joined them) and its search list. */
export interface DnsClient {
  networks: readonly string[];
  searchDomains?: readonly string[];
}

export type DnsVerdict =
  | { action: 'answer'; response: Packet }
  /** Not a name berth knows: send the query bytes as they came to the host's resolvers. */
  | { action: 'forward' };

/** A reply to `query` with its id, opcode, RD bit and question, as miekg/dns's SetReply makes it. */
export function reply(query: Packet, rcode: number, answers: Answer[] = []): Packet {
  const flags = ((query.flags ?? 0) & (OPCODE_MASK | FLAG_RD)) | FLAG_RA | rcode;
  return { type: 'response', id: query.id ?? 0, flags, questions: query.questions ?? [], answers };
}

/** SERVFAIL: what a client gets when its query could not be forwarded (no upstream, or none answered). */
export function serverFailure(query: Packet): Packet {
  return reply(query, RCODE.SERVFAIL);
}

export function answerQuery(query: Packet, client: DnsClient, records: ServiceRecords): DnsVerdict {
  const questions = query.questions ?? [];
  const opcode = ((query.flags ?? 0) & OPCODE_MASK) >> 11;
  if (query.type === 'response' || questions.length !== 1) return { action: 'answer', response: reply(query, RCODE.FORMERR) };
  if (opcode !== 0) return { action: 'answer', response: reply(query, RCODE.NOTIMP) };
  const question = questions[0]!;
  if (question.class !== undefined && question.class !== 'IN' && question.class !== 'ANY') return { action: 'forward' };
  switch (question.type) {
    case 'A':
    case 'AAAA':
      return addressAnswer(query, question, client, records);
    case 'PTR':
      return pointerAnswer(query, question, client, records);
    default:
      return { action: 'forward' };
  }
}

function addressAnswer(query: Packet, question: Question, client: DnsClient, records: ServiceRecords): DnsVerdict {
  const name = question.name.replace(/\.$/, '');
  const match = resolveName(records, name, client.networks, client.searchDomains);
  if (!match) return { action: 'forward' };
  // berth's networks are IPv4-only: a known name has no AAAA, which is an answer, not a reason to ask upstream.
  if (question.type === 'AAAA') return { action: 'answer', response: reply(query, RCODE.NOERROR) };
  const answers: Answer[] = match.addresses.map((data) => ({ type: 'A', class: 'IN', name: question.name, ttl: DNS_TTL, data }));
  return { action: 'answer', response: reply(query, RCODE.NOERROR, answers) };
}

const REVERSE_V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i;

function pointerAnswer(query: Packet, question: Question, client: DnsClient, records: ServiceRecords): DnsVerdict {
  const m = REVERSE_V4.exec(question.name);
  if (!m) return { action: 'forward' };
  const ipv4 = [m[4], m[3], m[2], m[1]].join('.');
  for (const network of client.networks) {
    const target = records.reverse(ipv4, network);
    if (target !== undefined) {
      const answer: Answer = { type: 'PTR', class: 'IN', name: question.name, ttl: DNS_TTL, data: target };
      return { action: 'answer', response: reply(query, RCODE.NOERROR, [answer]) };
    }
  }
  return { action: 'forward' };
}
