
use builtin;
use str;

set edit:completion:arg-completer[mqtk] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mqtk'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mqtk'= {
            cand --version 'Print the version'
            cand -h 'Print help'
            cand --help 'Print help'
            cand pub 'Publish messages: one, a file, or stdin whole or line by line'
            cand sub 'Subscribe to topics and print the messages that arrive'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mqtk;pub'= {
            cand -t 'Topic to publish to'
            cand --topic 'Topic to publish to'
            cand -m 'The message payload'
            cand --message 'The message payload'
            cand -f 'Send the contents of FILE as the message'
            cand --file 'Send the contents of FILE as the message'
            cand -q 'Quality of service: 0, 1 or 2'
            cand --qos 'Quality of service: 0, 1 or 2'
            cand --repeat 'Publish the message this many times'
            cand --repeat-delay 'Seconds to wait between repeated messages'
            cand --user-property 'User property, as key=value (repeatable)'
            cand --content-type 'Content type of the payload, e.g. application/json'
            cand --message-expiry 'Seconds after which the broker discards the message'
            cand --response-topic 'Topic a receiver should answer on'
            cand --correlation-data 'Correlation data sent with a request'
            cand --payload-format 'Payload format indicator: bytes (0) or utf8 (1)'
            cand -x 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]'
            cand --session-expiry 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]'
            cand -h 'Broker host name or address'
            cand --host 'Broker host name or address'
            cand -p 'Broker port'
            cand --port 'Broker port'
            cand -V 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]'
            cand --protocol-version 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]'
            cand -i 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]'
            cand --id 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]'
            cand -I 'Client identifier prefix, completed with random characters'
            cand --id-prefix 'Client identifier prefix, completed with random characters'
            cand -k 'Keep alive in seconds; 0 disables it'
            cand --keepalive 'Keep alive in seconds; 0 disables it'
            cand --connect-timeout 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE'
            cand -u 'User name'
            cand --username 'User name'
            cand -P 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)'
            cand --pw 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)'
            cand --pw-file 'Read the password from the first line of FILE'
            cand --will-topic 'Topic of the will message'
            cand --will-payload 'Payload of the will message'
            cand --will-qos 'QoS of the will message'
            cand --will-delay 'Seconds the broker waits before publishing the will (MQTT 5)'
            cand --will-message-expiry 'Message expiry interval of the will in seconds (MQTT 5)'
            cand --will-content-type 'Content type of the will (MQTT 5)'
            cand --will-user-property 'User property of the will, as key=value (MQTT 5; repeatable)'
            cand -s 'Read stdin to its end and send it as one message'
            cand --stdin-file 'Read stdin to its end and send it as one message'
            cand -l 'Send each line of stdin as a message'
            cand --stdin-line 'Send each line of stdin as a message'
            cand -n 'Send an empty message'
            cand --null-message 'Send an empty message'
            cand -r 'Ask the broker to retain the message'
            cand --retain 'Ask the broker to retain the message'
            cand --no-disconnect 'End by closing the connection without DISCONNECT, so the broker publishes the will'
            cand --disconnect-with-will 'End with DISCONNECT reason 0x04, so the broker publishes the will (MQTT 5)'
            cand -c 'Resume the session instead of starting clean (needs a fixed -i)'
            cand --disable-clean-start 'Resume the session instead of starting clean (needs a fixed -i)'
            cand -d 'Print every packet sent and received on stderr'
            cand --debug 'Print every packet sent and received on stderr'
            cand --will-retain 'Retain the will message'
            cand --help 'Print help'
        }
        &'mqtk;sub'= {
            cand -t 'Topic filter to subscribe to (repeatable; + and # wildcards)'
            cand --topic 'Topic filter to subscribe to (repeatable; + and # wildcards)'
            cand -q 'Maximum QoS of the subscriptions: 0, 1 or 2'
            cand --qos 'Maximum QoS of the subscriptions: 0, 1 or 2'
            cand -T 'Hide messages whose topic matches FILTER (repeatable)'
            cand --filter-out 'Hide messages whose topic matches FILTER (repeatable)'
            cand -U 'Unsubscribe from FILTER first, e.g. in a resumed session (repeatable)'
            cand --unsubscribe 'Unsubscribe from FILTER first, e.g. in a resumed session (repeatable)'
            cand --retain-handling 'When to send retained messages: 0 always, 1 for new subscriptions, 2 never (MQTT 5)'
            cand --subscription-id 'Subscription identifier the broker returns with each matching message (MQTT 5)'
            cand -C 'Exit after COUNT messages'
            cand --count 'Exit after COUNT messages'
            cand -W 'Exit with status 1 after SECONDS without the count reached'
            cand --timeout 'Exit with status 1 after SECONDS without the count reached'
            cand -F 'Print each message in FORMAT (see Format, below)'
            cand --format 'Print each message in FORMAT (see Format, below)'
            cand --color 'When to colour the output'
            cand -x 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]'
            cand --session-expiry 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]'
            cand -h 'Broker host name or address'
            cand --host 'Broker host name or address'
            cand -p 'Broker port'
            cand --port 'Broker port'
            cand -V 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]'
            cand --protocol-version 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]'
            cand -i 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]'
            cand --id 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]'
            cand -I 'Client identifier prefix, completed with random characters'
            cand --id-prefix 'Client identifier prefix, completed with random characters'
            cand -k 'Keep alive in seconds; 0 disables it'
            cand --keepalive 'Keep alive in seconds; 0 disables it'
            cand --connect-timeout 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE'
            cand -u 'User name'
            cand --username 'User name'
            cand -P 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)'
            cand --pw 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)'
            cand --pw-file 'Read the password from the first line of FILE'
            cand --will-topic 'Topic of the will message'
            cand --will-payload 'Payload of the will message'
            cand --will-qos 'QoS of the will message'
            cand --will-delay 'Seconds the broker waits before publishing the will (MQTT 5)'
            cand --will-message-expiry 'Message expiry interval of the will in seconds (MQTT 5)'
            cand --will-content-type 'Content type of the will (MQTT 5)'
            cand --will-user-property 'User property of the will, as key=value (MQTT 5; repeatable)'
            cand --no-local 'Do not receive our own messages (MQTT 5)'
            cand --retain-as-published 'Keep the retain flag as published (MQTT 5)'
            cand -E 'Exit once the subscriptions are acknowledged'
            cand --exit-after-subscribe 'Exit once the subscriptions are acknowledged'
            cand -R 'Do not print stale retained messages'
            cand --no-retained 'Do not print stale retained messages'
            cand --retained-only 'Print only retained messages; exit when the first live one arrives'
            cand --remove-retained 'Clear each retained message received'
            cand --no-reconnect 'Exit on a lost connection instead of reconnecting'
            cand -v 'Print the topic before each payload'
            cand --verbose 'Print the topic before each payload'
            cand -N 'No newline after each message'
            cand --no-newline 'No newline after each message'
            cand --json 'One JSON object per message per line, its timestamp in UTC'
            cand --pretty 'Pretty-print a JSON payload'
            cand -c 'Resume the session instead of starting clean (needs a fixed -i)'
            cand --disable-clean-start 'Resume the session instead of starting clean (needs a fixed -i)'
            cand -d 'Print every packet sent and received on stderr'
            cand --debug 'Print every packet sent and received on stderr'
            cand --will-retain 'Retain the will message'
            cand --help 'Print help'
        }
        &'mqtk;help'= {
            cand pub 'Publish messages: one, a file, or stdin whole or line by line'
            cand sub 'Subscribe to topics and print the messages that arrive'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mqtk;help;pub'= {
        }
        &'mqtk;help;sub'= {
        }
        &'mqtk;help;help'= {
        }
    ]
    $completions[$command]
}
