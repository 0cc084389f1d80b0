export { encryptSecret, decryptSecret, sealOptional, openOptional, SecretDecryptError } from './cipher';
export { secretKey, keyFilePath, SecretKeyError } from './key';
