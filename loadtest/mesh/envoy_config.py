"""Envoy's bootstrap for the local gateway, translated from the chart's routing the way Istio's control
plane translates a VirtualService and a DestinationRule: one cluster per (host, subset), weighted
clusters for weights, the route's timeout and retries, and the DestinationRule's outlier detection and
connection pool.

What Istio does through Kubernetes (endpoints follow pod readiness) is done here with active health
checks on each process's /readyz. Those need `no_traffic_interval`, or a cluster without traffic is
checked only once a minute. Like Istio, a destination with a subset is a cluster of its own behind
`weighted_clusters`: when every pod of a subset is unready, that subset's share of requests gets 503s
("no healthy upstream") instead of failing over to the other subset; one cluster with endpoint weights
would fail over instead, which is not what Istio does."""

from chart_routing import Routing

RETRY_ON = {"connect-failure": "connect-failure", "refused-stream": "refused-stream", "reset": "reset",
            "gateway-error": "gateway-error", "5xx": "5xx", "retriable-4xx": "retriable-4xx",
            "cancelled": "cancelled", "unavailable": "unavailable"}


def cluster_name(host, subset):
    return f"{host}|{subset or 'all'}"


def duration(seconds):
    return f"{seconds:.3f}s"


def bootstrap(routing: Routing, listen_port: int, admin_port: int, endpoints: dict[str | None, list[int]],
              health_interval_seconds: float = 0.25) -> dict:
    """`endpoints` maps a subset name (None for the whole service) to the ports of its processes."""
    routes = []
    clusters = {}
    for route in routing.routes:
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
        names = []
        for destination in route.destinations:
            name = cluster_name(destination.host, destination.subset)
            names.append((name, destination.weight))
            clusters[name] = cluster(name, routing, endpoints.get(destination.subset, []), health_interval_seconds)
        if len(names) == 1:
            action["cluster"] = names[0][0]
        else:
            action["weighted_clusters"] = {"clusters": [{"name": n, "weight": w} for n, w in names if w > 0]}
        match = {"prefix": "/"}
        if route.header_match:
            match["headers"] = [{"name": k, "string_match": {"exact": v}} for k, v in route.header_match.items()]
        routes.append({"name": route.name, "match": match, "route": action})
    manager = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "gateway",
        "route_config": {"name": "gateway", "virtual_hosts": [{"name": "frontend", "domains": ["*"], "routes": routes}]},
        "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
    }
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin_port}}},
        "static_resources": {
            "listeners": [{"name": "gateway", "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen_port}},
                           "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                                           "typed_config": manager}]}]}],
            "clusters": list(clusters.values()),
        },
    }


def cluster(name, routing: Routing, ports, health_interval_seconds):
    policy = routing.policy
    result = {
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [
            {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}} for port in ports]}]},
        "health_checks": [{
            "timeout": "0.2s", "interval": duration(health_interval_seconds),
            "no_traffic_interval": duration(health_interval_seconds),
            "unhealthy_threshold": 1, "healthy_threshold": 1,
            "http_health_check": {"path": "/readyz"}}],
        # Istio's default: no panic routing to unhealthy hosts.
        "common_lb_config": {"healthy_panic_threshold": {"value": 0}},
    }
    if policy.consecutive_5xx is not None:
        result["outlier_detection"] = {
            "consecutive_5xx": policy.consecutive_5xx,
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
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "common_http_protocol_options": {"idle_timeout": duration(policy.idle_timeout_seconds)},
            "explicit_http_config": {"http_protocol_options": {}}}}
    return result
