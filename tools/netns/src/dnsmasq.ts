/**
 * dnsmasq's command line for a test or demo name server: answers only from the options that
 * follow (host records, `--local` zones), in the foreground, bound to one address.
 */
export function dnsmasqListeningOn(address: string): string[] {
  return [
    "dnsmasq",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--keep-in-foreground",
    "--bind-interfaces",
    "--pid-file=",
    `--listen-address=${address}`,
  ];
}
