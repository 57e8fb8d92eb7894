// Identity-Aware Proxy (docs/iap.md).
export { iapProduct } from './product.js';
export { IapGate, CLEAR_LOGIN_COOKIE_PATH, IDENTITY_PATH, SESSION_REFRESH_PATH } from './gate.js';
export { assertionAudience, ASSERTION_LIFETIME_S } from './assertion.js';
export { IAP_ACCESS_PERMISSION, IAP_ACCESSOR_ROLE } from './access.js';
export { IAP_CALLBACK_PATH } from './redirect.js';
export { SIGNIN_PATH } from './signin.js';
