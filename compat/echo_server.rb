# Slide "Echo in Ruby", server: a REP socket echoing every request.
#
# Changed from the talk:
# - `require "zmq"` (the old rbzmq C extension, long unmaintained) becomes
#   Debian's ffi-rzmq gem (package ruby-ffi-rzmq). Its API differs:
#   * ZMQ::Context.new(1) still works (an integer is the I/O thread count);
#   * sockets have no #send/#recv of their own: the talk's socket.send(msg)
#     would call Ruby's Object#send and fail with NoMethodError. ffi-rzmq has
#     send_string(str), and recv_string(buf), which fills buf in place;
#   * calls return libzmq's code (0 or -1) instead of raising, so each one is
#     checked, and a failure prints ZMQ::Util.error_string and exits 1.
# - The endpoint is an optional argument (default the talk's
#   tcp://127.0.0.1:5000), so tests can use a free port.
# - An optional COUNT makes the server exit after that many messages, so a test
#   run ends by itself; without it the server loops forever as in the talk.
#   Before exiting it closes with a 1 s linger so the last reply is flushed.
# - $stdout.sync so each line reaches a pipe at once.
#
# Pairs with the Rust example `echo_server`; any echo_client.{py,rb,php} talks to it.
# Run:   ruby compat/echo_server.rb [ENDPOINT [COUNT]]
require "ffi-rzmq"

$stdout.sync = true

endpoint = ARGV[0] || "tcp://127.0.0.1:5000"
count = ARGV[1] ? Integer(ARGV[1]) : nil

# check(rc, what): exit 1 with libzmq's message when a call returned -1.
def check(rc, what)
  return if ZMQ::Util.resultcode_ok?(rc)
  warn "echo_server: #{what} failed: #{ZMQ::Util.error_string}"
  exit 1
end

context = ZMQ::Context.new(1)
socket = context.socket(ZMQ::REP)
check(socket.bind(endpoint), "bind #{endpoint}")

served = 0
loop do
  break if count && served >= count
  msg = ""
  check(socket.recv_string(msg), "recv")
  puts "Received #{msg}"
  check(socket.send_string(msg), "send")
  served += 1
end

socket.setsockopt(ZMQ::LINGER, 1000)
socket.close
context.terminate
