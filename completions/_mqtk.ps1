
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mqtk' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mqtk'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mqtk' {
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print the version')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('pub', 'pub', [CompletionResultType]::ParameterValue, 'Publish messages: one, a file, or stdin whole or line by line')
            [CompletionResult]::new('sub', 'sub', [CompletionResultType]::ParameterValue, 'Subscribe to topics and print the messages that arrive')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Measure how the broker answers: connect time, round trips, what it offers')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mqtk;pub' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic to publish to')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic to publish to')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The message payload')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'The message payload')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Send the contents of FILE as the message')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send the contents of FILE as the message')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Quality of service: 0, 1 or 2')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'Quality of service: 0, 1 or 2')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Publish the message this many times')
            [CompletionResult]::new('--repeat-delay', '--repeat-delay', [CompletionResultType]::ParameterName, 'Seconds to wait between repeated messages')
            [CompletionResult]::new('--end', '--end', [CompletionResultType]::ParameterName, 'How to end the connection, and with it what the broker does with the will')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes')
            [CompletionResult]::new('--status-online', '--status-online', [CompletionResultType]::ParameterName, 'The online announcement')
            [CompletionResult]::new('--status-offline', '--status-offline', [CompletionResultType]::ParameterName, 'The offline announcement')
            [CompletionResult]::new('--status-qos', '--status-qos', [CompletionResultType]::ParameterName, 'QoS of both announcements')
            [CompletionResult]::new('--user-property', '--user-property', [CompletionResultType]::ParameterName, 'User property, as key=value (repeatable)')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'Content type of the payload, e.g. application/json')
            [CompletionResult]::new('--message-expiry', '--message-expiry', [CompletionResultType]::ParameterName, 'Seconds after which the broker discards the message')
            [CompletionResult]::new('--response-topic', '--response-topic', [CompletionResultType]::ParameterName, 'Topic a receiver should answer on')
            [CompletionResult]::new('--correlation-data', '--correlation-data', [CompletionResultType]::ParameterName, 'Correlation data sent with a request')
            [CompletionResult]::new('--payload-format', '--payload-format', [CompletionResultType]::ParameterName, 'Payload format indicator: bytes (0) or utf8 (1)')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]')
            [CompletionResult]::new('--session-expiry', '--session-expiry', [CompletionResultType]::ParameterName, 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host name or address')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host name or address')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]')
            [CompletionResult]::new('--protocol-version', '--protocol-version', [CompletionResultType]::ParameterName, 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client identifier prefix, completed with random characters')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client identifier prefix, completed with random characters')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keep alive in seconds; 0 disables it')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keep alive in seconds; 0 disables it')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw', '--pw', [CompletionResultType]::ParameterName, 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw-file', '--pw-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE')
            [CompletionResult]::new('--will-topic', '--will-topic', [CompletionResultType]::ParameterName, 'Topic of the will message')
            [CompletionResult]::new('--will-payload', '--will-payload', [CompletionResultType]::ParameterName, 'Payload of the will message')
            [CompletionResult]::new('--will-qos', '--will-qos', [CompletionResultType]::ParameterName, 'QoS of the will message')
            [CompletionResult]::new('--will-delay', '--will-delay', [CompletionResultType]::ParameterName, 'Seconds the broker waits before publishing the will (MQTT 5)')
            [CompletionResult]::new('--will-message-expiry', '--will-message-expiry', [CompletionResultType]::ParameterName, 'Message expiry interval of the will in seconds (MQTT 5)')
            [CompletionResult]::new('--will-content-type', '--will-content-type', [CompletionResultType]::ParameterName, 'Content type of the will (MQTT 5)')
            [CompletionResult]::new('--will-user-property', '--will-user-property', [CompletionResultType]::ParameterName, 'User property of the will, as key=value (MQTT 5; repeatable)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Read stdin to its end and send it as one message')
            [CompletionResult]::new('--stdin-file', '--stdin-file', [CompletionResultType]::ParameterName, 'Read stdin to its end and send it as one message')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Send each line of stdin as a message')
            [CompletionResult]::new('--stdin-line', '--stdin-line', [CompletionResultType]::ParameterName, 'Send each line of stdin as a message')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Send an empty message')
            [CompletionResult]::new('--null-message', '--null-message', [CompletionResultType]::ParameterName, 'Send an empty message')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Ask the broker to retain the message')
            [CompletionResult]::new('--retain', '--retain', [CompletionResultType]::ParameterName, 'Ask the broker to retain the message')
            [CompletionResult]::new('--no-disconnect', '--no-disconnect', [CompletionResultType]::ParameterName, 'Same as --end close: no DISCONNECT, so the broker publishes the will')
            [CompletionResult]::new('--disconnect-with-will', '--disconnect-with-will', [CompletionResultType]::ParameterName, 'Same as --end disconnect-with-will (MQTT 5)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Resume the session instead of starting clean (needs a fixed -i)')
            [CompletionResult]::new('--disable-clean-start', '--disable-clean-start', [CompletionResultType]::ParameterName, 'Resume the session instead of starting clean (needs a fixed -i)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Print every packet sent and received on stderr')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print every packet sent and received on stderr')
            [CompletionResult]::new('--will-retain', '--will-retain', [CompletionResultType]::ParameterName, 'Retain the will message')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mqtk;sub' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Topic filter to subscribe to (repeatable; + and # wildcards)')
            [CompletionResult]::new('--topic', '--topic', [CompletionResultType]::ParameterName, 'Topic filter to subscribe to (repeatable; + and # wildcards)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Maximum QoS of the subscriptions: 0, 1 or 2')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'Maximum QoS of the subscriptions: 0, 1 or 2')
            [CompletionResult]::new('-T', '-T ', [CompletionResultType]::ParameterName, 'Hide messages whose topic matches FILTER (repeatable)')
            [CompletionResult]::new('--filter-out', '--filter-out', [CompletionResultType]::ParameterName, 'Hide messages whose topic matches FILTER (repeatable)')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'Unsubscribe from FILTER first, e.g. in a resumed session (repeatable)')
            [CompletionResult]::new('--unsubscribe', '--unsubscribe', [CompletionResultType]::ParameterName, 'Unsubscribe from FILTER first, e.g. in a resumed session (repeatable)')
            [CompletionResult]::new('--retain-handling', '--retain-handling', [CompletionResultType]::ParameterName, 'When to send retained messages: 0 always, 1 for new subscriptions, 2 never (MQTT 5)')
            [CompletionResult]::new('--subscription-id', '--subscription-id', [CompletionResultType]::ParameterName, 'Subscription identifier the broker returns with each matching message (MQTT 5)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Exit after COUNT messages')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after COUNT messages')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Exit with status 1 after SECONDS without the count reached')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Exit with status 1 after SECONDS without the count reached')
            [CompletionResult]::new('-F', '-F ', [CompletionResultType]::ParameterName, 'Print each message in FORMAT (see Format, below)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Print each message in FORMAT (see Format, below)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the output')
            [CompletionResult]::new('--end', '--end', [CompletionResultType]::ParameterName, 'How to end the connection, and with it what the broker does with the will')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes')
            [CompletionResult]::new('--status-online', '--status-online', [CompletionResultType]::ParameterName, 'The online announcement')
            [CompletionResult]::new('--status-offline', '--status-offline', [CompletionResultType]::ParameterName, 'The offline announcement')
            [CompletionResult]::new('--status-qos', '--status-qos', [CompletionResultType]::ParameterName, 'QoS of both announcements')
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]')
            [CompletionResult]::new('--session-expiry', '--session-expiry', [CompletionResultType]::ParameterName, 'Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host name or address')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host name or address')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]')
            [CompletionResult]::new('--protocol-version', '--protocol-version', [CompletionResultType]::ParameterName, 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client identifier prefix, completed with random characters')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client identifier prefix, completed with random characters')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keep alive in seconds; 0 disables it')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keep alive in seconds; 0 disables it')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw', '--pw', [CompletionResultType]::ParameterName, 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw-file', '--pw-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE')
            [CompletionResult]::new('--will-topic', '--will-topic', [CompletionResultType]::ParameterName, 'Topic of the will message')
            [CompletionResult]::new('--will-payload', '--will-payload', [CompletionResultType]::ParameterName, 'Payload of the will message')
            [CompletionResult]::new('--will-qos', '--will-qos', [CompletionResultType]::ParameterName, 'QoS of the will message')
            [CompletionResult]::new('--will-delay', '--will-delay', [CompletionResultType]::ParameterName, 'Seconds the broker waits before publishing the will (MQTT 5)')
            [CompletionResult]::new('--will-message-expiry', '--will-message-expiry', [CompletionResultType]::ParameterName, 'Message expiry interval of the will in seconds (MQTT 5)')
            [CompletionResult]::new('--will-content-type', '--will-content-type', [CompletionResultType]::ParameterName, 'Content type of the will (MQTT 5)')
            [CompletionResult]::new('--will-user-property', '--will-user-property', [CompletionResultType]::ParameterName, 'User property of the will, as key=value (MQTT 5; repeatable)')
            [CompletionResult]::new('--no-local', '--no-local', [CompletionResultType]::ParameterName, 'Do not receive our own messages (MQTT 5)')
            [CompletionResult]::new('--retain-as-published', '--retain-as-published', [CompletionResultType]::ParameterName, 'Keep the retain flag as published (MQTT 5)')
            [CompletionResult]::new('-E', '-E ', [CompletionResultType]::ParameterName, 'Exit once the subscriptions are acknowledged')
            [CompletionResult]::new('--exit-after-subscribe', '--exit-after-subscribe', [CompletionResultType]::ParameterName, 'Exit once the subscriptions are acknowledged')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Do not print stale retained messages')
            [CompletionResult]::new('--no-retained', '--no-retained', [CompletionResultType]::ParameterName, 'Do not print stale retained messages')
            [CompletionResult]::new('--retained-only', '--retained-only', [CompletionResultType]::ParameterName, 'Print only retained messages; exit when the first live one arrives')
            [CompletionResult]::new('--remove-retained', '--remove-retained', [CompletionResultType]::ParameterName, 'Clear each retained message received')
            [CompletionResult]::new('--no-reconnect', '--no-reconnect', [CompletionResultType]::ParameterName, 'Exit on a lost connection instead of reconnecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the topic before each payload')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the topic before each payload')
            [CompletionResult]::new('-N', '-N ', [CompletionResultType]::ParameterName, 'No newline after each message')
            [CompletionResult]::new('--no-newline', '--no-newline', [CompletionResultType]::ParameterName, 'No newline after each message')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per message per line, its timestamp in UTC')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'Pretty-print a JSON payload')
            [CompletionResult]::new('--no-disconnect', '--no-disconnect', [CompletionResultType]::ParameterName, 'Same as --end close: no DISCONNECT, so the broker publishes the will')
            [CompletionResult]::new('--disconnect-with-will', '--disconnect-with-will', [CompletionResultType]::ParameterName, 'Same as --end disconnect-with-will (MQTT 5)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Resume the session instead of starting clean (needs a fixed -i)')
            [CompletionResult]::new('--disable-clean-start', '--disable-clean-start', [CompletionResultType]::ParameterName, 'Resume the session instead of starting clean (needs a fixed -i)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Print every packet sent and received on stderr')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print every packet sent and received on stderr')
            [CompletionResult]::new('--will-retain', '--will-retain', [CompletionResultType]::ParameterName, 'Retain the will message')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mqtk;ping' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Stop after COUNT round trips [default: until Ctrl-C]')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop after COUNT round trips [default: until Ctrl-C]')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Seconds between round trips; fractions allowed')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Seconds between round trips; fractions allowed')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Seconds to wait for one answer; a later one counts as lost')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one answer; a later one counts as lost')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'QoS of the --publish messages: 0, 1 or 2')
            [CompletionResult]::new('--qos', '--qos', [CompletionResultType]::ParameterName, 'QoS of the --publish messages: 0, 1 or 2')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Payload size of the --publish messages, in bytes (at least 8: a sequence number)')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Payload size of the --publish messages, in bytes (at least 8: a sequence number)')
            [CompletionResult]::new('--end', '--end', [CompletionResultType]::ParameterName, 'How to end the connection, and with it what the broker does with the will')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes')
            [CompletionResult]::new('--status-online', '--status-online', [CompletionResultType]::ParameterName, 'The online announcement')
            [CompletionResult]::new('--status-offline', '--status-offline', [CompletionResultType]::ParameterName, 'The offline announcement')
            [CompletionResult]::new('--status-qos', '--status-qos', [CompletionResultType]::ParameterName, 'QoS of both announcements')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Broker host name or address')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Broker host name or address')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Broker port')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Broker port')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]')
            [CompletionResult]::new('--protocol-version', '--protocol-version', [CompletionResultType]::ParameterName, 'MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Client identifier prefix, completed with random characters')
            [CompletionResult]::new('--id-prefix', '--id-prefix', [CompletionResultType]::ParameterName, 'Client identifier prefix, completed with random characters')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Keep alive in seconds; 0 disables it')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Keep alive in seconds; 0 disables it')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name')
            [CompletionResult]::new('-P', '-P ', [CompletionResultType]::ParameterName, 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw', '--pw', [CompletionResultType]::ParameterName, 'Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)')
            [CompletionResult]::new('--pw-file', '--pw-file', [CompletionResultType]::ParameterName, 'Read the password from the first line of FILE')
            [CompletionResult]::new('--will-topic', '--will-topic', [CompletionResultType]::ParameterName, 'Topic of the will message')
            [CompletionResult]::new('--will-payload', '--will-payload', [CompletionResultType]::ParameterName, 'Payload of the will message')
            [CompletionResult]::new('--will-qos', '--will-qos', [CompletionResultType]::ParameterName, 'QoS of the will message')
            [CompletionResult]::new('--will-delay', '--will-delay', [CompletionResultType]::ParameterName, 'Seconds the broker waits before publishing the will (MQTT 5)')
            [CompletionResult]::new('--will-message-expiry', '--will-message-expiry', [CompletionResultType]::ParameterName, 'Message expiry interval of the will in seconds (MQTT 5)')
            [CompletionResult]::new('--will-content-type', '--will-content-type', [CompletionResultType]::ParameterName, 'Content type of the will (MQTT 5)')
            [CompletionResult]::new('--will-user-property', '--will-user-property', [CompletionResultType]::ParameterName, 'User property of the will, as key=value (MQTT 5; repeatable)')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Client identifier, --id only (-i is the interval) [default: mqtk- and random characters]')
            [CompletionResult]::new('--publish', '--publish', [CompletionResultType]::ParameterName, 'Time a message through the broker instead: published to a topic of its own, received back')
            [CompletionResult]::new('--info', '--info', [CompletionResultType]::ParameterName, 'Print what the broker said in CONNACK, one item a line, then ping')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the whole result as one JSON object at the end, and nothing else')
            [CompletionResult]::new('--no-disconnect', '--no-disconnect', [CompletionResultType]::ParameterName, 'Same as --end close: no DISCONNECT, so the broker publishes the will')
            [CompletionResult]::new('--disconnect-with-will', '--disconnect-with-will', [CompletionResultType]::ParameterName, 'Same as --end disconnect-with-will (MQTT 5)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Print every packet sent and received on stderr')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Print every packet sent and received on stderr')
            [CompletionResult]::new('--will-retain', '--will-retain', [CompletionResultType]::ParameterName, 'Retain the will message')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mqtk;help' {
            [CompletionResult]::new('pub', 'pub', [CompletionResultType]::ParameterValue, 'Publish messages: one, a file, or stdin whole or line by line')
            [CompletionResult]::new('sub', 'sub', [CompletionResultType]::ParameterValue, 'Subscribe to topics and print the messages that arrive')
            [CompletionResult]::new('ping', 'ping', [CompletionResultType]::ParameterValue, 'Measure how the broker answers: connect time, round trips, what it offers')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mqtk;help;pub' {
            break
        }
        'mqtk;help;sub' {
            break
        }
        'mqtk;help;ping' {
            break
        }
        'mqtk;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
