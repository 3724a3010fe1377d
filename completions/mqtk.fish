# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mqtk_global_optspecs
    string join \n config= profile= version h/help
end

function __fish_mqtk_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mqtk_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mqtk_using_subcommand
    set -l cmd (__fish_mqtk_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mqtk -n "__fish_mqtk_needs_command" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_needs_command" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_needs_command" -l version -d 'Print the version'
complete -c mqtk -n "__fish_mqtk_needs_command" -s h -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "pub" -d 'Publish messages: one, a file, or stdin whole or line by line'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "sub" -d 'Subscribe to topics and print the messages that arrive'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "topics" -d 'What is on the broker: its topics, how busy they are, what is retained'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "replay" -d 'Publish a recording of mqtk sub --json again, at its pace'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "rr" -d 'Send a request and wait for its response, as mosquitto_rr does'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "respond" -d 'Answer requests: run a command for each, or answer with a fixed text'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "will" -d 'Test a last will: end a connection on purpose and watch the will arrive'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "ping" -d 'Measure how the broker answers: connect time, round trips, what it offers'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "bench" -d 'Load-test a broker: many connections, a target rate, loss and latency'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "broker" -d 'Run an MQTT broker on this machine, for experiments (an embedded rumqttd)'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "config" -d 'Profiles: show the settings a command would use, print the file\'s path, check the file'
complete -c mqtk -n "__fish_mqtk_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s t -l topic -d 'Topic to publish to (or the path of an -L URL)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s m -l message -d 'The message payload' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s f -l file -d 'Send the contents of FILE as the message' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s q -l qos -d 'Quality of service: 0, 1 or 2' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l encode -d 'The message (-m, -f, -s, each line with -l) is JSON, sent encoded as sparkplug, cbor, msgpack, protobuf or avro (json: compacted)' -r -f -a "sparkplug\t''
json\t''
cbor\t''
msgpack\t''
protobuf\t''
avro\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l repeat -d 'Publish the message this many times' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l repeat-delay -d 'Seconds to wait between repeated messages' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l proto -d 'A .proto file with the payloads\' message type (repeatable); with --proto-message' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l proto-path -d 'A folder where the .proto files\' imports are found (repeatable; their own folders are searched too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l proto-message -d 'The payloads\' protobuf message type, e.g. acme.Reading (the package may be left out when the name is unique)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l avro-schema -d 'The payloads\' Avro schema, a JSON file' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l end -d 'How to end the connection, and with it what the broker does with the will' -r -f -a "disconnect\t'DISCONNECT: the broker discards the will'
disconnect-with-will\t'DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)'
close\t'Close the socket without DISCONNECT (TCP FIN)'
reset\t'Reset the socket (TCP RST), as when a device\'s network vanishes'
silent\t'Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive'
takeover\t'Connect again with the same client identifier, which takes the session over'"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l status -d 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l status-online -d 'The online announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l status-offline -d 'The offline announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l status-qos -d 'QoS of both announcements' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l user-property -d 'User property, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l content-type -d 'Content type of the payload, e.g. application/json' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l message-expiry -d 'Seconds after which the broker discards the message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s e -l response-topic -d 'Topic a receiver should answer on' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l correlation-data -d 'Correlation data sent with a request' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l payload-format -d 'Payload format indicator: bytes (0) or utf8 (1)' -r -f -a "bytes\t'Unspecified bytes (0)'
utf8\t'UTF-8 text (1)'"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l reconnect-retries -d 'Give up after this many failed tries to reconnect in one outage [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l connect-retries -d 'Try the first connection this many more times when the broker cannot be reached' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l max-queued -d 'The most messages read ahead of the broker, while offline or waiting for acknowledgements; beyond, the input waits' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l expect-reason -d 'Succeed only when every acknowledgement carries one of these reason codes, as 0x10 or 0x87,0x97 (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s x -l session-expiry -d 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s i -l id -d 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s I -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s s -l stdin-file -d 'Read stdin to its end and send it as one message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s l -l stdin-line -d 'Send each line of stdin as a message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s n -l null-message -d 'Send an empty message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s r -l retain -d 'Ask the broker to retain the message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l no-disconnect -d 'Same as --end close: no DISCONNECT, so the broker publishes the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l disconnect-with-will -d 'Same as --end disconnect-with-will (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l no-topic-alias -d 'Send the topic in full in every message, never a topic alias in its place (used with -l and --repeat where the broker allows)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l no-reconnect -d 'Exit on a lost connection instead of reconnecting'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l require-subscribers -d 'Fail (exit 1) when the broker acknowledges a message that no subscriber matched (MQTT 5 reason 0x10)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s c -l disable-clean-start -d 'Resume the session instead of starting clean (needs a fixed -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -s d -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand pub" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s t -l topic -d 'Topic filter to subscribe to (repeatable; + and # wildcards)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s q -l qos -d 'Maximum QoS of the subscriptions: 0, 1 or 2' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s T -l filter-out -d 'Hide messages whose topic matches FILTER (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s U -l unsubscribe -d 'Unsubscribe from FILTER first, e.g. in a resumed session (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retain-handling -d 'When to send retained messages: always (0), new for new subscriptions only (1), never (2) (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l subscription-id -d 'Subscription identifier the broker returns with each matching message (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s C -l count -d 'Exit after COUNT messages' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s W -l timeout -d 'Exit with status 1 after SECONDS without the count reached' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s F -l format -d 'Print each message in FORMAT (see Format, below)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l decode -d 'Show payloads decoded into JSON: sparkplug, json, cbor, msgpack, protobuf or avro; auto decodes Sparkplug B under spBv1.0/ and the binary formats an MQTT 5 content type names, and leaves the rest as sent; raw decodes nothing' -r -f -a "auto\t'Sparkplug B under spBv1.0/, else CBOR or MessagePack as an MQTT 5 content type says, else the payload as sent'
raw\t'Nothing decoded: every payload as sent'
sparkplug\t'Sparkplug B (protobuf), by its topic namespace'
json\t'JSON'
cbor\t'CBOR (RFC 8949)'
msgpack\t'MessagePack'
protobuf\t'Protobuf, with --proto FILE and --message TYPE'
avro\t'Avro, a raw datum or single-object encoded, with --avro-schema FILE'"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l proto -d 'A .proto file with the payloads\' message type (repeatable); with --proto-message' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l proto-path -d 'A folder where the .proto files\' imports are found (repeatable; their own folders are searched too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l proto-message -d 'The payloads\' protobuf message type, e.g. acme.Reading (the package may be left out when the name is unique)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l avro-schema -d 'The payloads\' Avro schema, a JSON file' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l color -d 'When to colour the output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l end -d 'How to end the connection, and with it what the broker does with the will' -r -f -a "disconnect\t'DISCONNECT: the broker discards the will'
disconnect-with-will\t'DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)'
close\t'Close the socket without DISCONNECT (TCP FIN)'
reset\t'Reset the socket (TCP RST), as when a device\'s network vanishes'
silent\t'Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive'
takeover\t'Connect again with the same client identifier, which takes the session over'"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l status -d 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l status-online -d 'The online announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l status-offline -d 'The offline announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l status-qos -d 'QoS of both announcements' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l reconnect-retries -d 'Give up after this many failed tries to reconnect in one outage [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l connect-retries -d 'Try the first connection this many more times when the broker cannot be reached' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s x -l session-expiry -d 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s i -l id -d 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s I -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l no-local -d 'Do not receive our own messages (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retain-as-published -d 'Keep the retain flag as published (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s E -l exit-after-subscribe -d 'Exit once the subscriptions are acknowledged'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s R -l no-retained -d 'Do not print stale retained messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l retained-only -d 'Print only retained messages; exit when the first live one arrives'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l remove-retained -d 'Clear each retained message received'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s v -l verbose -d 'Print the topic before each payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s N -l no-newline -d 'No newline after each message'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l json -d 'One JSON object per message per line, its timestamp in UTC: the recording mqtk replay reads'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l pretty -d 'Pretty-print a JSON payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s w -l watch -d 'One line per topic, its latest message rewritten in place: a live table (on a terminal)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l rebirth -d 'When a Sparkplug edge node\'s DATA has aliases no BIRTH named, ask it for a new BIRTH (an NCMD setting Node Control/Rebirth)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l message-rate -d 'Print how many messages arrived each second, one number a line, instead of the messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l no-disconnect -d 'Same as --end close: no DISCONNECT, so the broker publishes the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l disconnect-with-will -d 'Same as --end disconnect-with-will (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l no-reconnect -d 'Exit on a lost connection instead of reconnecting'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s c -l disable-clean-start -d 'Resume the session instead of starting clean (needs a fixed -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -s d -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand sub" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s t -l topic -d 'Topic filter to watch (repeatable; + and # wildcards) [default: #]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s q -l qos -d 'Maximum QoS of the subscriptions: 0, 1 or 2 (2 shows the QoS each message was published with)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s W -l timeout -d 'Watch for SECONDS, then print the tree and exit 0 [default: until Ctrl-C]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l clear -d 'Delete the retained messages under FILTER (repeatable); without --yes, only list them' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l settle -d 'Seconds without a message after which the retained messages count as all delivered' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l reconnect-retries -d 'Give up after this many failed tries to reconnect in one outage [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l connect-retries -d 'Try the first connection this many more times when the broker cannot be reached' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s i -l id -d 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s I -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l retained -d 'List the retained messages only: topic, size and the start of the payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l yes -d 'Really delete what --clear lists'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l json -d 'The tree (or the retained messages) as one JSON document'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l no-reconnect -d 'Exit on a lost connection instead of reconnecting'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -s d -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand topics" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s t -l topic -d 'Replay only the messages whose recorded topic matches FILTER (repeatable; + and # wildcards)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l speed -d 'Pace: 2 replays twice as fast as recorded, 0.5 at half the pace, 0 as fast as the broker takes them' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l loop -d 'Replay the recording this many times, each pass after the last (not with -)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l topic-prefix -d 'Put PREFIX before every topic, as it is: --topic-prefix staging/ makes a/b staging/a/b' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l topic-rewrite -d 'Replace the leading topic levels FROM with TO: plant/1=test/1 makes plant/1/t test/1/t, not plant/10/t (repeatable; the first that applies)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l end -d 'How to end the connection, and with it what the broker does with the will' -r -f -a "disconnect\t'DISCONNECT: the broker discards the will'
disconnect-with-will\t'DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)'
close\t'Close the socket without DISCONNECT (TCP FIN)'
reset\t'Reset the socket (TCP RST), as when a device\'s network vanishes'
silent\t'Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive'
takeover\t'Connect again with the same client identifier, which takes the session over'"
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l status -d 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l status-online -d 'The online announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l status-offline -d 'The offline announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l status-qos -d 'QoS of both announcements' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l reconnect-retries -d 'Give up after this many failed tries to reconnect in one outage [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l connect-retries -d 'Try the first connection this many more times when the broker cannot be reached' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l max-queued -d 'The most messages read ahead of the broker, while offline or waiting for acknowledgements; beyond, the input waits' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s x -l session-expiry -d 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s i -l id -d 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s I -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l retained-first -d 'First publish every retained message of the file, at once, then the others at their pace (not with -)'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l no-disconnect -d 'Same as --end close: no DISCONNECT, so the broker publishes the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l disconnect-with-will -d 'Same as --end disconnect-with-will (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l no-reconnect -d 'Exit on a lost connection instead of reconnecting'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s c -l disable-clean-start -d 'Resume the session instead of starting clean (needs a fixed -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -s d -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand replay" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s t -l topic -d 'Topic to send the request to (or the path of an -L URL)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s q -l qos -d 'QoS of the request and of the subscription to the response topic: 0, 1 or 2' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l correlate-json -d 'Match the response by this field of a JSON request and response, for MQTT 3.1.1 (see Notes)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l repeat -d 'Ask this many times, one request after the answer to the last, and print a summary' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l repeat-delay -d 'Seconds between an answer and the next request' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s m -l message -d 'The message payload' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s f -l file -d 'Send the contents of FILE as the message' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l user-property -d 'User property, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l content-type -d 'Content type of the payload, e.g. application/json' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l message-expiry -d 'Seconds after which the broker discards the message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s e -l response-topic -d 'Topic a receiver should answer on' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l correlation-data -d 'Correlation data sent with a request' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l payload-format -d 'Payload format indicator: bytes (0) or utf8 (1)' -r -f -a "bytes\t'Unspecified bytes (0)'
utf8\t'UTF-8 text (1)'"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l expect-reason -d 'Succeed only when every acknowledgement carries one of these reason codes, as 0x10 or 0x87,0x97 (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s C -l count -d 'Wait for COUNT responses to each request' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s W -l timeout -d 'Give up on a request after SECONDS without its responses (exit 1)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s F -l format -d 'Print each message in FORMAT (see Format, below)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l decode -d 'Show payloads decoded into JSON: sparkplug, json, cbor, msgpack, protobuf or avro; auto decodes Sparkplug B under spBv1.0/ and the binary formats an MQTT 5 content type names, and leaves the rest as sent; raw decodes nothing' -r -f -a "auto\t'Sparkplug B under spBv1.0/, else CBOR or MessagePack as an MQTT 5 content type says, else the payload as sent'
raw\t'Nothing decoded: every payload as sent'
sparkplug\t'Sparkplug B (protobuf), by its topic namespace'
json\t'JSON'
cbor\t'CBOR (RFC 8949)'
msgpack\t'MessagePack'
protobuf\t'Protobuf, with --proto FILE and --message TYPE'
avro\t'Avro, a raw datum or single-object encoded, with --avro-schema FILE'"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l proto -d 'A .proto file with the payloads\' message type (repeatable); with --proto-message' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l proto-path -d 'A folder where the .proto files\' imports are found (repeatable; their own folders are searched too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l proto-message -d 'The payloads\' protobuf message type, e.g. acme.Reading (the package may be left out when the name is unique)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l avro-schema -d 'The payloads\' Avro schema, a JSON file' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l color -d 'When to colour the output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l end -d 'How to end the connection, and with it what the broker does with the will' -r -f -a "disconnect\t'DISCONNECT: the broker discards the will'
disconnect-with-will\t'DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)'
close\t'Close the socket without DISCONNECT (TCP FIN)'
reset\t'Reset the socket (TCP RST), as when a device\'s network vanishes'
silent\t'Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive'
takeover\t'Connect again with the same client identifier, which takes the session over'"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l status -d 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l status-online -d 'The online announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l status-offline -d 'The offline announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l status-qos -d 'QoS of both announcements' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s x -l session-expiry -d 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s i -l id -d 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s I -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s s -l stdin-file -d 'Read stdin to its end and send it as one message'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s l -l stdin-line -d 'Send each line of stdin as a message'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s n -l null-message -d 'Send an empty message'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l no-topic-alias -d 'Send the topic in full in every message, never a topic alias in its place (used with -l and --repeat where the broker allows)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l require-subscribers -d 'Fail (exit 1) when the broker acknowledges a message that no subscriber matched (MQTT 5 reason 0x10)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l latency -d 'Print the time from request to response after each response'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s v -l verbose -d 'Print the topic before each payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s N -l no-newline -d 'No newline after each message'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l json -d 'One JSON object per message per line, its timestamp in UTC: the recording mqtk replay reads'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l pretty -d 'Pretty-print a JSON payload'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l no-disconnect -d 'Same as --end close: no DISCONNECT, so the broker publishes the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l disconnect-with-will -d 'Same as --end disconnect-with-will (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s c -l disable-clean-start -d 'Resume the session instead of starting clean (needs a fixed -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -s d -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand rr" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s t -l topic -d 'Topic filter to take requests from (repeatable; + and # wildcards)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s q -l qos -d 'QoS of the subscriptions: 0, 1 or 2 (an answer goes at its request\'s QoS)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s e -l response-topic -d 'Where to answer a request that names no response topic (every one under MQTT 3.1.1), as a -F format such as %t/reply' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l correlate-json -d 'Copy this field of a JSON request into the JSON answer, for MQTT 3.1.1 (see mqtk rr --help)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s C -l count -d 'End after COUNT requests, once they are answered' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s m -l message -d 'Answer every request with MESSAGE instead of running a command' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l encode -d 'The answer (-m, or the command\'s output) is JSON, sent encoded as sparkplug, cbor, msgpack, protobuf or avro' -r -f -a "sparkplug\t''
json\t''
cbor\t''
msgpack\t''
protobuf\t''
avro\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l proto -d 'A .proto file with the payloads\' message type (repeatable); with --proto-message' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l proto-path -d 'A folder where the .proto files\' imports are found (repeatable; their own folders are searched too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l proto-message -d 'The payloads\' protobuf message type, e.g. acme.Reading (the package may be left out when the name is unique)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l avro-schema -d 'The payloads\' Avro schema, a JSON file' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l jobs -d 'Run up to N commands at once (answers then go out as they finish)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l timeout -d 'Kill a command still running after SECONDS, and answer nothing' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l end -d 'How to end the connection, and with it what the broker does with the will' -r -f -a "disconnect\t'DISCONNECT: the broker discards the will'
disconnect-with-will\t'DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)'
close\t'Close the socket without DISCONNECT (TCP FIN)'
reset\t'Reset the socket (TCP RST), as when a device\'s network vanishes'
silent\t'Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive'
takeover\t'Connect again with the same client identifier, which takes the session over'"
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l status -d 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l status-online -d 'The online announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l status-offline -d 'The offline announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l status-qos -d 'QoS of both announcements' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l reconnect-retries -d 'Give up after this many failed tries to reconnect in one outage [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l connect-retries -d 'Try the first connection this many more times when the broker cannot be reached' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s x -l session-expiry -d 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s i -l id -d 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s I -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l answer-stderr -d 'Answer with the command\'s stderr when it fails, instead of nothing'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l no-disconnect -d 'Same as --end close: no DISCONNECT, so the broker publishes the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l disconnect-with-will -d 'Same as --end disconnect-with-will (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l no-reconnect -d 'Exit on a lost connection instead of reconnecting'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s c -l disable-clean-start -d 'Resume the session instead of starting clean (needs a fixed -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -s d -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand respond" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l end -d 'How the device connection ends' -r -f -a "disconnect\t'DISCONNECT: the broker discards the will'
disconnect-with-will\t'DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)'
close\t'Close the socket without DISCONNECT (TCP FIN)'
reset\t'Reset the socket (TCP RST), as when a device\'s network vanishes'
silent\t'Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive'
takeover\t'Connect again with the same client identifier, which takes the session over'"
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l wait -d 'Seconds to wait for the will [default: what the rules need, plus 3]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s x -l session-expiry -d 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s i -l id -d 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s I -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l json -d 'Print the whole result as one JSON object'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s c -l disable-clean-start -d 'Resume the session instead of starting clean (needs a fixed -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -s d -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand will" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s c -l count -d 'Stop after COUNT round trips [default: until Ctrl-C]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s i -l interval -d 'Seconds between round trips; fractions allowed' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s W -l timeout -d 'Seconds to wait for one answer; a later one counts as lost' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s q -l qos -d 'QoS of the --publish messages: 0, 1 or 2' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s s -l size -d 'Payload size of the --publish messages, in bytes (at least 8: a sequence number)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l end -d 'How to end the connection, and with it what the broker does with the will' -r -f -a "disconnect\t'DISCONNECT: the broker discards the will'
disconnect-with-will\t'DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)'
close\t'Close the socket without DISCONNECT (TCP FIN)'
reset\t'Reset the socket (TCP RST), as when a device\'s network vanishes'
silent\t'Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive'
takeover\t'Connect again with the same client identifier, which takes the session over'"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l status -d 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l status-online -d 'The online announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l status-offline -d 'The offline announcement' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l status-qos -d 'QoS of both announcements' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l reconnect-retries -d 'Give up after this many failed tries to reconnect in one outage [default: no limit]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l connect-retries -d 'Try the first connection this many more times when the broker cannot be reached' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s I -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l id -d 'Client identifier, --id only (-i is the interval) [default: mqtk- and random characters]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l publish -d 'Time a message through the broker instead: published to a topic of its own, received back'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l info -d 'Print what the broker said in CONNACK, one item a line, and the TLS details, then ping'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s v -l verbose -d 'Print the TLS details: version, cipher suite, ALPN, and the broker\'s certificates (subject, issuer, names, expiry), with a warning for one that expires within 30 days'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l json -d 'Print the whole result as one JSON object at the end, and nothing else'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l no-disconnect -d 'Same as --end close: no DISCONNECT, so the broker publishes the will'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l disconnect-with-will -d 'Same as --end disconnect-with-will (MQTT 5)'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l no-reconnect -d 'Exit on a lost connection instead of reconnecting'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -s d -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand ping" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l load -d 'Run the groups a TOML load file lists, each with its role, count, topic or filter, rate or interval, QoS, size, retain and share group, reported group by group and in total (see the long help for the format)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s c -l clients -d 'Connections: publishers (pub, pubsub), subscribers (sub) or connections (conn)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s S -l subscribers -d 'Subscribing connections beside the publishers (pubsub) [default: as many as -c]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s t -l topic -d 'Topic template for publishers: %i client index, %c client id, %u username, %s sequence, %rand_N a number from 1 to N' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s T -l filter -d 'Topic filter template for subscribers, with the same % fields [default: the topic template]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s R -l rate -d 'Messages per second in all, spread evenly over the publishers and in time [default: as fast as the in-flight window allows]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s I -l interval -d 'Time between two messages of one publisher, e.g. 10ms' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s s -l size -d 'Payload size in bytes; the first 16 carry the publisher, the sequence number and the send time' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s q -l qos -d 'QoS of the messages and subscriptions: 0, 1 or 2' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l inflight -d 'QoS 1/2 messages in flight per connection [default: the broker\'s Receive Maximum; 20 under MQTT 3.1.1]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s d -l duration -d 'How long to publish (or, for conn, hold the connections), e.g. 30s, 2m; 0 runs until Ctrl-C [default: 10s, or until -n]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s n -l count -d 'Messages per publisher, then stop' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l warmup -d 'Leave the first part of the run out of the rates and latencies, e.g. 2s' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l connect-rate -d 'New connections per second [default: as fast as the broker accepts them]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l connect-retries -d 'Try a connect that could not reach the broker again, up to N times, after 0.1 s, 0.2 s, 0.4 s ... (at most 5 s); a refusal is not retried' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l reconnect -d 'Reconnect a connection that was lost, up to N tries an outage, after 0.1 s, 0.2 s, 0.4 s ... (at most 5 s), and resume its session; the report counts reconnects and time offline [default: a lost connection is out of the run]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l threads -d 'Worker threads [default: one per core]. A paced load that needs less than a core spends about a quarter less CPU on one thread, as the threads no longer wake each other' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l ifaddr -d 'Connect from these local addresses in turn, e.g. 127.0.0.2,127.0.0.3: each has its own ephemeral ports (about 28,000 on Linux)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l churn -d 'conn: disconnect and connect again every DURATION, e.g. 1s' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l share -d 'Subscribers join the shared subscription $share/GROUP/FILTER (give them one filter with -T, e.g. \'mqtk-bench/#\'): each message reaches one member; the report gives each member\'s share and the loss across the group' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l offline -d 'Subscribers go offline for DURATION, AT into the load, their sessions kept (as -c -x), while publishing goes on; then they resume and drain what the broker queued [default AT: the outage centred in -d, or 1s]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l sub-churn -d 'Subscribers unsubscribe and subscribe again, RATE cycles per second in all, spread over the subscribers, while traffic flows' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l shard -d 'Make slice I of N of the load (I from 0), so that N processes with the same flags make it together: clients, ids, topics and --rate are split among them' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l start-at -d 'Begin the load at this time, a Unix time in seconds or RFC 3339 (2026-12-01T12:00:00Z), once connected: shards begin and, with -d, end together' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l target-p99 -d '--find-max: the 99th percentile latency a step may have, in milliseconds' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l step -d '--find-max: how long each step\'s load lasts, its first fifth a settling time left out of its figures' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l max-rate -d '--find-max: the highest rate to try, in messages per second in all; a search that passes it ends there' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l report-interval -d 'Seconds between two progress lines when stderr is not a terminal' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l json -d 'Write the report as JSON to FILE, or to stdout with -' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l metrics -d 'Serve the live counters and the latency histogram for Prometheus on ADDR:PORT, e.g. 0.0.0.0:9464' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l max-loss -d 'Exit 1 when more than PERCENT of the messages were lost [default: 0 at QoS 1/2, none at QoS 0]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l max-p99 -d 'Exit 1 when the 99th percentile latency exceeds MS milliseconds' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s h -l host -d 'Broker host name or address' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s p -l port -d 'Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s L -l url -d 'The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l unix -d 'Connect to the broker\'s Unix domain socket at PATH instead of host and port' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l ws-path -d 'The HTTP path of the WebSocket upgrade [default: /mqtt]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l ws-header -d 'An HTTP header for the WebSocket upgrade, as \'Name: value\', e.g. a broker\'s authorization (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l proxy -d 'Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker\'s name) or socks5:// (mqtk does) [default port: 1080]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s V -l protocol-version -d 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]' -r -f -a "5\t''
3.1.1\t''
3.1\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s k -l keepalive -d 'Keep alive in seconds; 0 disables it' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l connect-timeout -d 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s u -l username -d 'User name' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s P -l pw -d 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l pw-file -d 'Read the password from the first line of FILE' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l cafile -d 'Trust the CA certificates in FILE (PEM) instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l capath -d 'Trust the CA certificates in the PEM files of DIR instead of the system\'s' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l cert -d 'Client certificate chain (PEM), for brokers that ask for one; with --key' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l key -d 'Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l tls-version -d 'The oldest TLS version to accept' -r -f -a "1.2\t''
1.3\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l alpn -d 'ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l sni -d 'Server name to send (SNI) and verify, when it is not the host' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l tls-keylog -d 'Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l will-topic -d 'Topic of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l will-payload -d 'Payload of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l will-qos -d 'QoS of the will message' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l will-delay -d 'Seconds the broker waits before publishing the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l will-message-expiry -d 'Message expiry interval of the will in seconds (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l will-content-type -d 'Content type of the will (MQTT 5)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l will-user-property -d 'User property of the will, as key=value (MQTT 5; repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l receive-maximum -d 'The most QoS 1/2 messages the broker may send before one is acknowledged' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l maximum-packet-size -d 'The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l topic-alias-maximum -d 'How many topic aliases the broker may use towards us' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l request-problem-information -d 'Whether the broker may send reason strings and user properties with errors [default: true]' -r -f -a "true\t''
false\t''"
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l connect-user-property -d 'User property of the CONNECT, as key=value (repeatable)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l auth-method -d 'Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l auth-data -d 'Authentication data sent with --auth-method' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l reauth-every -d 'With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s i -l id -d 'Client identifier template, with %i the connection\'s index [default: mqtk-bench- random characters -%i]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l id-prefix -d 'Client identifier prefix, completed with random characters' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s x -l session-expiry -d 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with --disable-clean-start]' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -s r -l retain -d 'Retain the messages'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l no-topic-alias -d 'Send the topic in full in every message, never a topic alias in its place (used where the broker allows)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l embedded -d 'Run against an embedded broker on free loopback ports, started for the run [then by default: -R 10000 -d 5s]'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l find-max -d 'Search for the highest total rate the broker sustains: steps from -R (default 1,000 msg/s) doubling until one fails, then halving the gap, over the same connections; a step passes when p99 latency is within --target-p99, loss within --max-loss, and the broker keeps up'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l ws -d 'MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l tls -d 'Use TLS, verifying the broker against the system\'s root certificates'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l no-tls -d 'No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l insecure -d 'Do not verify the broker\'s certificate at all (a warning says so every time)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l will-retain -d 'Retain the will message'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l request-response-information -d 'Ask the broker for Response Information (a topic prefix for responses) in its CONNACK'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l debug -d 'Print every packet sent and received on stderr'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -l disable-clean-start -d 'Resume each connection\'s session instead of starting clean (fix the ids with -i)'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and not __fish_seen_subcommand_from merge" -a "merge" -d 'Combine the JSON reports of shards that ran together into one report'
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l json -d 'Write the merged report as JSON to FILE, or to stdout with -' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand bench; and __fish_seen_subcommand_from merge" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand broker" -s h -l host -d 'Address to listen on: a name or an IP address, 0.0.0.0 (or ::) for every interface' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand broker" -s p -l port -d 'Port of the MQTT 3.1.1 listener; MQTT 5 listens on the next one; 0 for two free ports' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand broker" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand broker" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand broker" -l help -d 'Print help'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and not __fish_seen_subcommand_from show path check help" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and not __fish_seen_subcommand_from show path check help" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and not __fish_seen_subcommand_from show path check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and not __fish_seen_subcommand_from show path check help" -f -a "show" -d 'Print the settings a command would use and where each came from (default, file, environment, flag), secrets masked'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and not __fish_seen_subcommand_from show path check help" -f -a "path" -d 'Print the path of the configuration file that would be read'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and not __fish_seen_subcommand_from show path check help" -f -a "check" -d 'Check the configuration file: every table, key, type and value; exit 2 at the first mistake'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and not __fish_seen_subcommand_from show path check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from show" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from path" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'The configuration file [default: $XDG_CONFIG_HOME/mqtk/config.toml, or ~/.config/mqtk/config.toml]' -r -F
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from check" -l profile -d 'Take the settings of [profiles.NAME] in the configuration file (flags and variables win)' -r
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the settings a command would use and where each came from (default, file, environment, flag), secrets masked'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of the configuration file that would be read'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check the configuration file: every table, key, type and value; exit 2 at the first mistake'
complete -c mqtk -n "__fish_mqtk_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "pub" -d 'Publish messages: one, a file, or stdin whole or line by line'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "sub" -d 'Subscribe to topics and print the messages that arrive'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "topics" -d 'What is on the broker: its topics, how busy they are, what is retained'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "replay" -d 'Publish a recording of mqtk sub --json again, at its pace'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "rr" -d 'Send a request and wait for its response, as mosquitto_rr does'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "respond" -d 'Answer requests: run a command for each, or answer with a fixed text'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "will" -d 'Test a last will: end a connection on purpose and watch the will arrive'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "ping" -d 'Measure how the broker answers: connect time, round trips, what it offers'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "bench" -d 'Load-test a broker: many connections, a target rate, loss and latency'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "broker" -d 'Run an MQTT broker on this machine, for experiments (an embedded rumqttd)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "config" -d 'Profiles: show the settings a command would use, print the file\'s path, check the file'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and not __fish_seen_subcommand_from pub sub topics replay rr respond will ping bench broker config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from bench" -f -a "merge" -d 'Combine the JSON reports of shards that ran together into one report'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the settings a command would use and where each came from (default, file, environment, flag), secrets masked'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of the configuration file that would be read'
complete -c mqtk -n "__fish_mqtk_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Check the configuration file: every table, key, type and value; exit 2 at the first mistake'
