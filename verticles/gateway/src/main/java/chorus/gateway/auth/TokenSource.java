package chorus.gateway.auth;

/** Where a request's token came from. Only a cookie is sent by a browser on its own, so only it is Origin-checked. */
public enum TokenSource { HEADER, QUERY, COOKIE }
