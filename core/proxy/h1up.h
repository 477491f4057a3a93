/*
 * h1up.h -- HTTP/1.1 toward a server: one exchange at a time on one of
 * the conn's upstream connections. Writes the request as the exchange
 * gives it (framed by the side: Content-Length or chunked), parses the
 * response into the exchange's events, and decides whether the
 * connection may carry another request.
 */
#ifndef CORE_PROXY_H1UP_H
#define CORE_PROXY_H1UP_H

struct conn;
struct exchange;
struct upstream;

/* Takes ownership of u for x; core_exchange_up_ready runs inside. On
 * release the connection goes back to the conn's pool or is closed. */
void	core_h1up_attach(struct conn *, struct upstream *, struct exchange *);

#endif
