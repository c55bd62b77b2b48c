"""The seed document's MNIST script, as the project's main job.

Every line of the seed's code below is unchanged apart from the import lines (its Korean comments are
kept too). The lines marked ``# ember:`` are additions around it: a dataset switch, a progress bar per
epoch with loss and throughput, test accuracy after each epoch, and a PNG of the training curves.

    python examples/mnist.py                          # MNIST (downloaded, or from a local mirror)
    python examples/mnist.py --dataset fashion-mnist  # Fashion-MNIST (Debian's dataset-fashion-mnist)
"""
import argparse  # ember: command line
import os  # ember
import sys  # ember
import types  # ember

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # ember: the example helpers
from _report import ProgressLoader, evaluate, plot_curves  # noqa: E402  ember

import ember as torch  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.optim as optim  # noqa: E402
from ember.vision import datasets, transforms  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])  # ember
parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")  # ember
parser.add_argument("--plot", default="training_curves.png", help="where to write the PNG")  # ember
parser.add_argument("--seed", type=int, default=0)  # ember
args = parser.parse_args()  # ember
torch.manual_seed(args.seed)  # ember: reproducible runs
_Dataset = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[args.dataset]  # ember
datasets = types.SimpleNamespace(MNIST=_Dataset)  # ember: the seed's `datasets.MNIST` line picks the dataset

# 1) 데이터 전처리 파이프라인 정의
# - ToTensor(): PIL 이미지를 [0,1] 범위의 float32 Tensor로 변환 (C×H×W 형태)
# - Normalize((0.5,), (0.5,)): 평균 0.5, 표준편차 0.5로 정규화 -> [-1, 1] 범위로 스케일링
transform = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.5,), (0.5,))
])
# 2) 학습 데이터셋 구성
# - root: 데이터 저장 위치
# - train=True: 학습용 split
# - download=True: 없으면 자동 다운로드
# - transform: 위에서 정의한 전처리 적용
trainset = datasets.MNIST(root='./data', train=True, download=True, transform=transform)
# 3) DataLoader: 미니배치 단위로 순회하기 위한 반복자
# - batch_size=64: 한 번에 64장 처리
# - shuffle=True: 각 epoch마다 데이터 순서 섞기(일반화 성능 향상)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)

testset = _Dataset(root='./data', train=False, download=True, transform=transform)  # ember
testloader = torch.utils.data.DataLoader(testset, batch_size=1000)  # ember
trainloader = ProgressLoader(trainloader, loss_fn=lambda: globals().get("loss"), epochs=5,  # ember
                             on_epoch_end=lambda h: evaluate(model, testloader, history=h))  # ember


# 4) 모델 정의
# - nn.Module을 상속하는 클래스로 네트워크 구조를 선언
# - "init에서 레이어를 선언"하고, "forward에서 데이터 흐름을 정의"한다는 점이 핵심
class Net(nn.Module):
    def __init__(self):
        super().__init__()  # 부모 클래스 초기화: 내부적으로 파라미터 등록 등 nn.Module 기반 기능 활성화
        # (a) 완전연결(Linear) 계층 선언
        # 입력 차원: 28*28=784 (MNIST 한 장을 펼친 벡터 길이)
        # 은닉층1 차원: 128
        self.fc1 = nn.Linear(28*28, 128)
        # (b) 은닉층2: 128 -> 64
        self.fc2 = nn.Linear(128, 64)
        # (c) 출력층: 64 -> 10 (클래스 수=10)
        # CrossEntropyLoss를 사용할 것이므로 최종 활성함수(softmax)는 쓰지 않는다.
        # CrossEntropyLoss가 내부에서 LogSoftmax + NLLLoss를 결합해서 처리함
        self.fc3 = nn.Linear(64, 10)
        # (선택) 활성함수는 nn.ReLU() 모듈로 만들어 멤버로 들고가도 되고,
        # 아래 forward처럼 torch.relu 함수형으로 호출해도 무방하다.
        # self.relu = nn.ReLU()

    # forward: 입력 텐서 x가 레이어를 거쳐 출력으로 변환되는 "연산 그래프(데이터 흐름)" 정의
    # - 여기서 호출되는 연산들은 autograd가 추적하여, backward 시 gradient 계산에 사용됨
    def forward(self, x):
        # (1) 입력 크기 변환: [B, 1, 28, 28] -> [B, 784]
        # - view는 텐서의 모양만 바꾸며, 실제 메모리 복사는 하지 않음(가능한 경우)
        # - -1은 batch 크기를 자동 유추하라는 의미
        x = x.view(-1, 28*28)
        # (2) 은닉층1 연산 + ReLU 활성화
        # - 비선형성을 부여하여 모델이 복잡한 함수를 근사할 수 있게 함
        x = torch.relu(self.fc1(x))
        # (3) 은닉층2 연산 + ReLU 활성화
        x = torch.relu(self.fc2(x))
        # (4) 출력층 연산: [B, 10] 로짓(logits)
        # - softmax를 여기서 적용하지 않는 이유:
        # CrossEntropyLoss가 logits를 입력으로 받아 내부에서 안정적으로 처리
        return self.fc3(x)


# 5) 모델 인스턴스화
# - 이 시점에 nn.Module이 파라미터(가중치/편향)를 내부적으로 보유하게 됨
model = Net()
# 6) 손실 함수(=목표 함수)와 최적화 알고리즘(옵티마이저) 설정
# - CrossEntropyLoss: 다중 클래스 분류용 표준 선택 (logits 입력)
# - Adam: 적응형 학습률을 사용하는 옵티마이저 (초기 실험에 무난)
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.001)
# (선택) GPU 사용 예시:
# device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
# model.to(device)
# 7) 학습 루프
# - epoch: 전체 데이터셋을 몇 번 반복 학습할지
# - 각 미니배치에 대해: 순전파 -> 손실 계산 -> 기울기 초기화 -> 역전파 -> 파라미터 갱신
for epoch in range(5):
    for images, labels in trainloader:
        # (GPU 사용 시)
        # images = images.to(device)
        # labels = labels.to(device)
        # (1) 순전파: 현재 파라미터로 예측값 계산
        outputs = model(images)
        # (2) 손실 계산: 예측(outputs) vs 정답(labels)
        loss = criterion(outputs, labels)
        # (3) 이전 배치의 기울기 초기화 (누적 방지)
        optimizer.zero_grad()
        # (4) 역전파: 오차를 각 파라미터로 전파하여 gradient 계산
        loss.backward()
        # (5) 파라미터 갱신: optimizer가 각 파라미터 w ← w - lr * dw 적용
        optimizer.step()
    # epoch 종료 시점의 손실 출력(모니터링용)
    print(f"Epoch {epoch+1} Loss: {loss.item():.4f}")

history = trainloader.history  # ember: report
print(f"Test accuracy: {history['test_acc'][-1]:.2%} "  # ember
      f"({sum(history['seconds']):.1f} s of training, {history['samples_per_s'][-1]:,.0f} samples/s)")  # ember
plot_curves(history, args.plot, title=f"Seed MLP on {args.dataset}")  # ember
print(f"Training curves written to {args.plot}")  # ember
