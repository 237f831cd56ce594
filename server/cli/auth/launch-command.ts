/**
 * `npm run auth -- create-launch`: an EHR launch id for a patient (and encounter), made by the authorisation server
 * on MySQL/Redis, or by the embedded admin tasks (the folder, or the running server that holds it).
 */
import { createSmartAuth } from '../../auth/smart-auth.js';
import { parseOptions, UsageError, type CliIo } from '../cli-kit.js';
import { checkRedis, openAuthDatabase, type AuthEnv } from './auth-services.js';
import { openEmbeddedAdmin } from './embedded-admin.js';

export const LAUNCH_COMMAND = {
  summary: 'make an EHR launch id for a patient (and encounter), valid 10 minutes',
  usage: '--patient ID [--encounter ID]',
  detail: 'Open the app as <launch URL>?iss=<FHIR base>&launch=<printed id>.',
} as const;

async function serviceLaunch(e: AuthEnv, context: { patient: string; encounter?: string }): Promise<string> {
  await checkRedis(e);
  await openAuthDatabase(e).then((p) => p.end());
  const auth = await createSmartAuth({
    issuer: e.issuer,
    fhirBaseUrl: e.fhirBaseUrl,
    mysqlUrl: e.mysqlUrl,
    redisUrl: e.redisUrl,
    redisPrefix: e.redisPrefix,
    keysDir: e.keysDir,
  });
  try {
    return await auth.createLaunch({ ...context, createdBy: 'cli' });
  } finally {
    await auth.close();
  }
}

async function embeddedLaunch(e: AuthEnv, context: { patient: string; encounter?: string }): Promise<string> {
  const admin = await openEmbeddedAdmin(e.config, e.redisPrefix);
  try {
    return (await admin.tasks.createLaunch(context)).launch;
  } finally {
    await admin.close();
  }
}

export async function runLaunchCommand(argv: readonly string[], e: AuthEnv, io: CliIo): Promise<number> {
  const { values } = parseOptions(argv, { patient: { type: 'string' }, encounter: { type: 'string' } });
  if (!values.patient) throw new UsageError('--patient is required');
  const context = { patient: values.patient, ...(values.encounter ? { encounter: values.encounter } : {}) };
  io.out(await (e.embedded.users || e.embedded.sessions ? embeddedLaunch(e, context) : serviceLaunch(e, context)));
  return 0;
}
