/**
 * Names shared by every rendered stack, setup-server and the deploy job. One certificate resolver and one
 * overlay network everywhere: the original tool drifted into two resolver names and broke TLS for half its apps.
 */
export const CERT_RESOLVER = 'letsencrypt';
export const PUBLIC_NETWORK = 'deckhand-public';
export const ENTRYPOINT_WEB = 'web';
export const ENTRYPOINT_WEBSECURE = 'websecure';
export const TRAEFIK_STACK_NAME = 'traefik';

/** File names inside a release directory; the compose file refers to the env file by this relative name. */
export const COMPOSE_FILE_NAME = 'compose.yml';
export const ENV_FILE_NAME = '.env';

export const COMPOSE_VERSION = '3.8';

/** Labels deckhand puts on every service it deploys, so list-apps can find them on a server. */
export const LABEL_APP = 'deckhand.app';
export const LABEL_APP_VERSION = 'deckhand.app-version';
export const LABEL_STACK = 'deckhand.stack';

// Where deckhand keeps things on a server: setup-server writes its record and the Traefik stack, deploy-app its apps.
export const SETUP_RECORD_PATH = '/etc/deckhand/setup.json';
export const DECKHAND_DIR = '/opt/deckhand';
export const STACKS_DIR = '/opt/deckhand/stacks';
