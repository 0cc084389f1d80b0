/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and Node-only modules stay outside the server bundle.
  serverExternalPackages: ['better-sqlite3', '@prisma/adapter-better-sqlite3', 'pg', '@prisma/adapter-pg', 'ioredis', '@node-rs/argon2'],
  poweredByHeader: false,
};

export default nextConfig;
