#!/bin/sh
# Kubernetes preStop hook of the Chorus node container (config/k8s/deployment.yaml):
# POST /admin/drain with a short-lived admin token signed with the pod's own key, so the
# node starts draining before the kubelet's SIGTERM, which then joins the same drain.
# It never fails the hook: whatever goes wrong here, SIGTERM still drains the node.
port=${CHORUS_HTTP_PORT:-8080}
cd /app || exit 0
# a small heap: this JVM runs beside the node inside the same memory limit
token=$(java -Xmx48m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -DCHORUS_LOG_LEVEL=WARN \
  -jar verticles/node/target/chorus-node.jar token k8s-prestop --admin --ttl 120 2>/dev/null) || exit 0
curl -fsS -m 5 -o /dev/null -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$port/admin/drain" \
  && echo "prestop: drain requested" || echo "prestop: POST /admin/drain failed; SIGTERM will drain"
exit 0
