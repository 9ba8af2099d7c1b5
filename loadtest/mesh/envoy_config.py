"""Envoy configuration for the local mesh, translated from the chart's routing the way Istio's control
plane translates a VirtualService and a DestinationRule: one cluster per (host, subset), weighted
clusters for weights, the route's timeout and retries, and the DestinationRule's outlier detection and
connection pool. Like Istio, a destination with a subset is a cluster of its own behind
`weighted_clusters`: when a subset has no ready pod, its share of requests gets 503s ("no healthy
upstream") instead of failing over to the other subset.

Two ways to deliver it:
- `bootstrap`: everything static, endpoints found by active health checks on each process's /readyz
  (with `no_traffic_interval`, or a cluster without traffic is checked only once a minute). The
  drills whose pods all exist before the routes do use it.
- `xds_bootstrap` plus the `*_resources` functions: listeners, routes, clusters and endpoints from
  files that Envoy watches, the way istiod streams them. The simulated cluster (cluster.py) rewrites
  the route file at once on a chart change and an endpoint file only when a pod's readiness reaches
  it, which is what a real upgrade looks like to a proxy."""

from chart_routing import Route, Routing, TrafficPolicy

RETRY_ON = {"connect-failure": "connect-failure", "refused-stream": "refused-stream", "reset": "reset",
            "gateway-error": "gateway-error", "5xx": "5xx", "retriable-4xx": "retriable-4xx",
            "cancelled": "cancelled", "unavailable": "unavailable"}

TYPE = "type.googleapis.com/envoy."
LISTENER = TYPE + "config.listener.v3.Listener"
ROUTE_CONFIGURATION = TYPE + "config.route.v3.RouteConfiguration"
CLUSTER = TYPE + "config.cluster.v3.Cluster"
LOAD_ASSIGNMENT = TYPE + "config.endpoint.v3.ClusterLoadAssignment"


def cluster_name(host, subset):
    return f"{host}|{subset or 'all'}"


def duration(seconds):
    return f"{seconds:.3f}s"


def route_entries(routes: list[Route]) -> list[dict]:
    """Envoy routes for a VirtualService's HTTP routes."""
    entries = []
    for route in routes:
        retry_on, status_codes = [], []
        for item in route.retry_on:
            if item.isdigit():
                status_codes.append(int(item))
            else:
                retry_on.append(RETRY_ON[item])
        if status_codes:
            retry_on.append("retriable-status-codes")
        action = {"timeout": duration(route.timeout_seconds or 15)}
        if route.retry_attempts:
            action["retry_policy"] = {"retry_on": ",".join(retry_on), "num_retries": route.retry_attempts}
            if status_codes:
                action["retry_policy"]["retriable_status_codes"] = status_codes
            if route.per_try_timeout_seconds:
                action["retry_policy"]["per_try_timeout"] = duration(route.per_try_timeout_seconds)
        names = [(cluster_name(d.host, d.subset), d.weight) for d in route.destinations]
        if len(names) == 1:
            action["cluster"] = names[0][0]
        else:
            action["weighted_clusters"] = {"clusters": [{"name": n, "weight": w} for n, w in names if w > 0]}
        match = {"prefix": "/"}
        if route.header_match:
            match["headers"] = [{"name": k, "string_match": {"exact": v}} for k, v in route.header_match.items()]
        entries.append({"name": route.name, "match": match, "route": action})
    return entries



def connection_manager(stat_prefix, route_specifier: dict) -> dict:
    return {
        "@type": TYPE + "extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": stat_prefix,
        **route_specifier,
        "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
            "@type": TYPE + "extensions.filters.http.router.v3.Router"}}],
    }


def listener(name, port, manager) -> dict:
    return {"name": name, "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                            "typed_config": manager}]}]}


def admin(port) -> dict:
    return {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}


def traffic_policy(name, policy: TrafficPolicy) -> dict:
    """The DestinationRule's trafficPolicy as cluster settings. Istio's default: no panic routing to
    unhealthy hosts."""
    result = {"name": name, "connect_timeout": "1s", "lb_policy": "ROUND_ROBIN",
              "common_lb_config": {"healthy_panic_threshold": {"value": 0}}}
    outlier = {}
    if policy.consecutive_5xx is not None:
        outlier["consecutive_5xx"] = policy.consecutive_5xx
        if policy.consecutive_5xx == 0:
            outlier["enforcing_consecutive_5xx"] = 0
    if policy.consecutive_gateway_errors:
        outlier["consecutive_gateway_failure"] = policy.consecutive_gateway_errors
        outlier["enforcing_consecutive_gateway_failure"] = 100
    if policy.split_local_origin_errors:
        outlier["split_external_local_origin_errors"] = True
    if policy.consecutive_local_origin_failures:
        outlier["consecutive_local_origin_failure"] = policy.consecutive_local_origin_failures
        outlier["enforcing_consecutive_local_origin_failure"] = 100
    if outlier:
        result["outlier_detection"] = {
            **outlier,
            "interval": duration(policy.interval_seconds or 10),
            "base_ejection_time": duration(policy.base_ejection_seconds or 30),
            "max_ejection_percent": policy.max_ejection_percent or 10,
        }
    thresholds = {}
    if policy.max_connections:
        thresholds["max_connections"] = policy.max_connections
    if policy.max_pending_requests:
        thresholds["max_pending_requests"] = policy.max_pending_requests
    if policy.max_requests:
        thresholds["max_requests"] = policy.max_requests
    if thresholds:
        result["circuit_breakers"] = {"thresholds": [thresholds]}
    if policy.idle_timeout_seconds:
        result["typed_extension_protocol_options"] = {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": TYPE + "extensions.upstreams.http.v3.HttpProtocolOptions",
            "common_http_protocol_options": {"idle_timeout": duration(policy.idle_timeout_seconds)},
            "explicit_http_config": {"http_protocol_options": {}}}}
    return result


def load_assignment(name, ports) -> dict:
    return {"cluster_name": name, "endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}} for port in ports]}]}


# --- static: every pod known up front, readiness by active health checks ---

def bootstrap(routing: Routing, listen_port: int, admin_port: int, endpoints: dict[str | None, list[int]],
              health_interval_seconds: float = 0.25) -> dict:
    """`endpoints` maps a subset name (None for the whole service) to the ports of its processes."""
    clusters = []
    for route in routing.routes:
        for destination in route.destinations:
            name = cluster_name(destination.host, destination.subset)
            if any(c["name"] == name for c in clusters):
                continue
            cluster = traffic_policy(name, routing.policy)
            cluster["type"] = "STATIC"
            cluster["load_assignment"] = load_assignment(name, endpoints.get(destination.subset, []))
            # A 503 from /readyz counts at once whatever the threshold; three missed answers are needed
            # before a busy pod counts as down. A single slow check used to eject the one-pod canary
            # subset, and its share became 503s that the version tally did not count.
            cluster["health_checks"] = [{
                "timeout": "1s", "interval": duration(health_interval_seconds),
                "no_traffic_interval": duration(health_interval_seconds),
                "unhealthy_threshold": 3, "healthy_threshold": 1,
                "http_health_check": {"path": "/readyz"}}]
            clusters.append(cluster)
    manager = connection_manager("gateway", {"route_config": {
        "name": "gateway", "virtual_hosts": [{"name": "frontend", "domains": ["*"], "routes": route_entries(routing.routes)}]}})
    return {"admin": admin(admin_port),
            "static_resources": {"listeners": [listener("gateway", listen_port, manager)], "clusters": clusters}}


# --- dynamic: resources from watched files, as istiod would stream them ---

def file_source(path) -> dict:
    return {"path_config_source": {"path": str(path)}, "resource_api_version": "V3"}


def xds_bootstrap(admin_port: int, lds_path, cds_path) -> dict:
    return {"node": {"id": "skalar-mesh", "cluster": "skalar-mesh"}, "admin": admin(admin_port),
            "dynamic_resources": {"lds_config": file_source(lds_path), "cds_config": file_source(cds_path)}}


def listener_resources(ports: dict[str, int], rds_path_of) -> list[dict]:
    """One listener per route configuration name (e.g. the ingress gateway and the frontends' outbound
    listener for backend-service), each taking its routes from its own RDS file, `rds_path_of(name)`."""
    return [{"@type": LISTENER, **listener(name, port, connection_manager(
        name, {"rds": {"route_config_name": name, "config_source": file_source(rds_path_of(name))}}))}
        for name, port in ports.items()]


def route_resource(name, routes: list[Route]) -> dict:
    return {"@type": ROUTE_CONFIGURATION, "name": name,
            "virtual_hosts": [{"name": name, "domains": ["*"], "routes": route_entries(routes)}]}


def cluster_resource(name, policy: TrafficPolicy, eds_path) -> dict:
    cluster = traffic_policy(name, policy)
    cluster["type"] = "EDS"
    cluster["eds_cluster_config"] = {"service_name": name, "eds_config": file_source(eds_path)}
    return {"@type": CLUSTER, **cluster}


def endpoint_resource(name, ports) -> dict:
    return {"@type": LOAD_ASSIGNMENT, **load_assignment(name, ports)}


def discovery_response(version, resources) -> dict:
    return {"version_info": str(version), "resources": resources}
