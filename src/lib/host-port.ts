/** host:port as it goes in a URL or an address (IPv6 hosts in brackets: [::1]:8930). */
export const hostPort = (host: string, port: number | string): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;
