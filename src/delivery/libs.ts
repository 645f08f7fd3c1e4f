/**
 * The mail and push libraries, each loaded on its first use (src/lib/lazy.ts says why): most
 * servers never send through SMTP, and web-push is needed only to generate keys once or to send.
 * Import them only through these loaders.
 */
import { lazyModule } from '../lib/lazy.js';

export const loadNodemailer = lazyModule(async () => (await import('nodemailer')).default);
export const loadWebPush = lazyModule(async () => (await import('web-push')).default);
