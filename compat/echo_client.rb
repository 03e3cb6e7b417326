# Slide "Echo in Ruby", client: a REQ socket sending "msg 0".."msg 9".
#
# Changed from the talk:
# - `require "zmq"` (rbzmq) becomes Debian's ffi-rzmq gem: send_string(str)
#   and recv_string(buf) (fills buf in place) instead of send/recv, and calls
#   return 0 or -1 instead of raising (see echo_server.rb).
# - The talk iterates (0..10), an inclusive range: eleven messages, one more
#   than its Python and PHP clients. This uses (0...10), msg 0..msg 9, so all
#   three clients send the same ten.
# - The talk's client never looks at the reply. This one prints it and exits 1
#   when a reply differs from its request.
# - RCVTIMEO/SNDTIMEO of 5 s: with no server the talk's client waits forever;
#   this one prints an error and exits 1. LINGER 0 so an unsent request cannot
#   keep the process alive at exit.
# - The endpoint is an optional argument (default the talk's tcp://127.0.0.1:5000).
# - $stdout.sync so each line reaches a pipe at once.
#
# Pairs with the Rust example `echo_client`; talks to any echo_server.{py,rb,php}.
# Run:   ruby compat/echo_client.rb [ENDPOINT]
# Exit:  0 when all ten replies echo their requests, 1 otherwise.
require "ffi-rzmq"

$stdout.sync = true

endpoint = ARGV[0] || "tcp://127.0.0.1:5000"

context = ZMQ::Context.new(1)
socket = context.socket(ZMQ::REQ)
socket.setsockopt(ZMQ::RCVTIMEO, 5000)
socket.setsockopt(ZMQ::SNDTIMEO, 5000)
socket.setsockopt(ZMQ::LINGER, 0)
socket.connect(endpoint)

status = 0
(0...10).each do |i|
  msg = "msg #{i}"
  if !ZMQ::Util.resultcode_ok?(socket.send_string(msg))
    warn "echo_client: send to #{endpoint} failed: #{ZMQ::Util.error_string}"
    status = 1
    break
  end
  puts "Sending #{msg}"
  reply = ""
  if !ZMQ::Util.resultcode_ok?(socket.recv_string(reply))
    warn "echo_client: no reply within 5 s from #{endpoint}: #{ZMQ::Util.error_string}"
    status = 1
    break
  end
  puts "Received reply #{reply}"
  if reply != msg
    warn "echo_client: reply #{reply.inspect} differs from request #{msg.inspect}"
    status = 1
    break
  end
end

socket.close
context.terminate
exit status
