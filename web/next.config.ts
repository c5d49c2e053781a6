import type { NextConfig } from 'next';

// Static export: the Go gateway serves web/out and sets every header (CSP etc.).
// No route handlers, middleware, rewrites or headers can live here.
const nextConfig: NextConfig = {
  output: 'export',
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  experimental: {
    optimizePackageImports: ['@mantine/core', '@mantine/hooks'],
  },
};

export default nextConfig;
